"""Template side of `webapp.core.slots`: a lower app's page includes what the
higher apps registered, without naming them.

    {% load slots %}
    {% slot_templates "run.after" as sections %}{% for name in sections %}{% include name %}{% endfor %}
    {% row_facts "run_list.verdicts" runs as verdicts %} … {{ verdicts|for_row:run.pk }}
"""

from __future__ import annotations

from django import template

from webapp.core import slots

register = template.Library()


@register.simple_tag
def slot_templates(slot: str) -> list[str]:
    return slots.templates(slot)


@register.simple_tag
def row_facts(slot: str, rows) -> dict:
    return slots.row_facts(slot, rows)


@register.filter
def for_row(facts: dict, pk):
    return (facts or {}).get(pk)
