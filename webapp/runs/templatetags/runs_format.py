"""Number formats shared by the run pages."""

from django import template
from django.utils.html import format_html

from webapp.runs.charts import compact_number, format_cost
from webapp.runs.services.staging import SKIPPED_FOLDERS, describe_skipped

register = template.Library()


def unrecorded_text(version: str | None) -> str:
    """What a page says for a figure the run's MassGen never recorded (NULL in the rows)."""
    return f"not recorded by MassGen {version}" if version else "not recorded by this MassGen version"


@register.simple_tag
def unrecorded(version=None, text: str = "—"):
    """A dash (or `text`) titled "not recorded by MassGen <version>": unknown, never $0 or 0."""
    return format_html('<span class="unrecorded" title="{}">{}</span>', unrecorded_text(version), text)


@register.filter
def skipped_note(skipped) -> str:
    """What a folder upload left out (Run.skipped_files), in a sentence."""
    return describe_skipped(skipped or {})


@register.simple_tag
def skipped_folders() -> str:
    return ", ".join(f"{name}/" for name in SKIPPED_FOLDERS)


@register.filter
def not_recorded(version) -> str:
    return unrecorded_text(version)


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
    return "—" if value is None else compact_number(float(value or 0))
