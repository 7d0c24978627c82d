from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from webapp.core.health import run_checks
from webapp.core.dashboard import dashboard_context


@require_GET
@never_cache
def healthz(request):
    # ?require=worker: a monitor that wants a 503 when no worker is alive.
    report, healthy = run_checks(require_worker=request.GET.get("require") == "worker")
    return JsonResponse(report, status=200 if healthy else 503)


@login_required
def dashboard(request):
    return render(request, "core/dashboard.html", dashboard_context(request.membership))
