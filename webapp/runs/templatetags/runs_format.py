"""Number formats shared by the run pages."""

from django import template

from webapp.runs.charts import compact_number, format_cost

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """`42s`, `3m 05s`, `1h 02m`; an em dash when unknown."""
    if seconds is None or seconds == "":
        return "—"
    seconds = float(seconds)
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(round(seconds))
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


@register.filter
def usd(value) -> str:
    return "—" if value is None or value == "" else format_cost(float(value))


@register.filter
def compact(value) -> str:
    return compact_number(float(value or 0))
