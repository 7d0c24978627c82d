from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from webapp.core.health import run_checks


@require_GET
@never_cache
def healthz(request):
    # ?require=worker: a monitor that wants a 503 when no worker is alive.
    report, healthy = run_checks(require_worker=request.GET.get("require") == "worker")
    return JsonResponse(report, status=200 if healthy else 503)
