"""Text from a run's logs or a model, rendered for a page.

`markdown` goes through `webapp.core.markdown.render_markdown` (markdown-it
with raw HTML off, then nh3's allowlist), the one renderer of the project, so
the run pages, reports and answers all load it from the floor. `line_cut` ends
a shortened preview at a line or word boundary instead of mid-word."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from webapp.core.markdown import render_markdown

register = template.Library()

# A preview is cut back to its last line break when one falls in its last part
# this long (as a share of the whole), else to its last space.
LINE_CUT_WINDOW = 0.4
# File names shown rendered in the file viewer.
MARKDOWN_SUFFIXES = (".md", ".markdown")


@register.filter
def markdown(text) -> str:
    return mark_safe(render_markdown(str(text or "")))  # noqa: S308 - sanitised by nh3 in render_markdown


@register.filter
def line_cut(text) -> str:
    """`text` without its last, partial line (or word), plus an ellipsis."""
    text = str(text or "")
    newline = text.rfind("\n")
    if newline >= len(text) * (1 - LINE_CUT_WINDOW):
        return text[:newline].rstrip() + "\n…"
    space = text.rfind(" ")
    return (text[:space] if space > 0 else text).rstrip() + " …"


@register.filter
def is_markdown_path(path) -> bool:
    return str(path or "").lower().endswith(MARKDOWN_SUFFIXES)
