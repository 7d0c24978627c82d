from django import template

from webapp.analyses.budget import format_usd

register = template.Library()


@register.filter
def usd(value) -> str:
    return "—" if value is None or value == "" else format_usd(value)
