"""The Analyse panel is included by the run page, whose view knows nothing of
models: the panel gathers what it shows through this tag."""

from dataclasses import dataclass
from functools import lru_cache

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from webapp.llm import panel
from webapp.runs.models import Attempt

register = template.Library()
# Drawn option lists kept per process: one per (choices, selected model) in use.
MODEL_OPTIONS_KEPT = 32


@dataclass(frozen=True)
class PanelContext:
    choices: panel.Choices
    attempt: Attempt | None  # the attempt the page shows, which the estimate is for
    selected: str  # the model the form shows as chosen


@register.simple_tag(takes_context=True)
def analyse_panel(context) -> PanelContext:
    """On the run page the attempt is `page.attempt`; on the estimate page, `attempt`."""
    page = context.get("page")
    attempt = context.get("attempt") or getattr(page, "attempt", None)
    preview = context.get("preview")
    estimate = preview.estimate if preview else None
    cheapest = estimate["recommendation"]["cheapest_fitting_model"] if estimate and estimate["recommendation"] else None
    choices = panel.with_cheapest(panel.choices(), cheapest)
    return PanelContext(choices, attempt, preview.model_name if preview else choices.default_model)


@register.simple_tag
def model_options(choices: panel.Choices, selected: str) -> SafeString:
    """The model select's optgroups and options. Drawn in Python and kept per
    (choices, selected): the choices object is rebuilt only when the registry or an
    endpoint's listing changes, and a template loop over ~150 usable models was half
    the run page's rendering time."""
    return _model_options(choices.groups, selected)


@lru_cache(maxsize=MODEL_OPTIONS_KEPT)
def _model_options(groups: tuple[panel.ProviderGroup, ...], selected: str) -> SafeString:
    return format_html_join("", "<optgroup label=\"{}\">{}</optgroup>", (
        (group.provider, format_html_join("", "<option value=\"{}\"{}>{}</option>", (
            (choice.value, _option_state(choice, selected), choice.label) for choice in group.choices
        )))
        for group in groups
    ))


def _option_state(choice: panel.ModelChoice, selected: str) -> SafeString:
    if not choice.available:
        return mark_safe(" disabled")
    return mark_safe(" selected") if choice.value == selected else mark_safe("")
