"""The Analyse panel is included by the run page, whose view knows nothing of
models: the panel gathers what it shows through this tag."""

from dataclasses import dataclass

from django import template

from webapp.llm import panel
from webapp.runs.models import Attempt

register = template.Library()


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
