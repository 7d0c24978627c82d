"""The Models page and the Analyse panel's cost preview. Each view reads its
query, checks access and calls one function of `panel` or `services`."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from analysis.registry import RegistryError
from webapp.llm import panel
from webapp.llm.model_order import split_usable, usable_first
from webapp.llm.services import default_note, list_models, list_providers
from webapp.runs.models import RUN_DOCUMENT_FIELDS, Run
from webapp.runs.presenters import choose_attempt
from webapp.teams.access import get_for_member, request_membership

MODELS_PER_PAGE = 100
# The page without JavaScript answers a bad choice with 400; the htmx partial
# keeps 200, because htmx does not swap in an error response.
BAD_CHOICE_STATUS = 400


@login_required
@require_GET
@vary_on_headers("HX-Request")  # a fragment for htmx, the whole page otherwise: never cached as one
def run_estimate(request, pk):
    """The preview partial for htmx; without JavaScript, a page holding the panel
    with the preview for the chosen model (the panel's form falls back to this)."""
    run = get_for_member(Run.objects.defer(*RUN_DOCUMENT_FIELDS), request, pk=pk)
    attempt, _ = choose_attempt(run, request.GET, lean=True)
    preview = panel.preview(run, attempt, request.GET.get("model"), request.GET.get("compression"))
    context = {
        "run": run,
        "attempt": attempt,
        "preview": preview,
        "can_write": request_membership(request, run.team_id).can_write,
    }
    if request.htmx:
        return render(request, "llm/analyse_panel.html#preview", context)
    return render(request, "llm/estimate.html", context, status=BAD_CHOICE_STATUS if preview.error else 200)


@login_required
@require_GET
@vary_on_headers("HX-Request")  # a fragment for htmx, the whole page otherwise: never cached as one
def model_list(request):
    provider = request.GET.get("provider", "")
    available_only = request.GET.get("available") == "1"
    search = request.GET.get("q", "")
    context = {"provider": provider, "available_only": available_only, "search": search}
    try:
        rows = list_models(provider or None, True if available_only else None, search)
        if provider or search.strip():
            rows = usable_first(rows)  # a narrowed list shows every model, usable first
        else:
            # Usable models first; each provider that cannot be used is one "unlock" line.
            usable, locked = split_usable(rows)
            rows = usable + [{"locked": line} for line in locked]
        context["providers"] = list_providers()
        context["default_note"] = default_note()
    except RegistryError as error:
        context["error"] = f"The model registry is misconfigured: {error}"
        rows = []
    context["page"] = Paginator(rows, MODELS_PER_PAGE).get_page(request.GET.get("page"))
    if request.htmx and request.htmx.target == "model-table":
        return render(request, "llm/models.html#model-table", context)
    return render(request, "llm/models.html", context)
