import hmac

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from webapp.core.health import queue_depths, run_checks
from webapp.core.metrics import DatabaseCollector


@require_GET
@never_cache
def healthz(request):
    # ?require=worker: a monitor that wants a 503 when no worker is alive.
    report, healthy = run_checks(require_worker=request.GET.get("require") == "worker")
    return JsonResponse(report, status=200 if healthy else 503)


@require_GET
@never_cache
def metrics(request):
    """Prometheus text format, only for `Authorization: Bearer $DEBRIEF_METRICS_TOKEN`;
    404 without it (or with DEBRIEF_METRICS_TOKEN unset), so the page is not there to find."""
    expected = settings.DEBRIEF_METRICS_TOKEN
    kind, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or kind.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise Http404
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(queue_depths))
    # The classic text format (0.0.4), which every Prometheus version reads.
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
