"""The runs list's rows in one tag: a ready run's row comes from the rows cache,
every other row is drawn. One `get_many` for the page and the partial drawn only for
the rows missing: as fifty `{% cache %}` blocks, resolving each block's key in the
template was most of what a page of cached rows still cost."""

from django import template
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.utils.safestring import SafeString, mark_safe

from webapp.runs.models import RunStatus
from webapp.runs.presenters.runs_list import ROW_CACHE

register = template.Library()
ROW_TEMPLATE = "runs/list.html#run-row"


@register.simple_tag(takes_context=True)
def run_rows(context, page, verdicts: dict) -> SafeString:
    """`page`: the RunListPage; `verdicts`: {run pk: latest analysis} (the
    "run_list.verdicts" row facts). A row's key holds everything it shows (its
    `row_key`) and its verdict, so a changed run or a new verdict is drawn afresh;
    a row that polls or holds a form (CSRF token) is never kept."""
    rows_cache = caches[ROW_CACHE]
    keys = {}
    for run in page.runs:
        if run.status == RunStatus.READY:
            analysis = verdicts.get(run.pk)
            keys[run.pk] = make_template_fragment_key(
                "run-row", [run.row_key, getattr(analysis, "pk", None), getattr(analysis, "verdict", None)]
            )
    kept = rows_cache.get_many(keys.values()) if keys else {}
    row_template = context.template.engine.get_template(ROW_TEMPLATE)
    drawn, new = [], {}
    for run in page.runs:
        key = keys.get(run.pk)
        html = kept.get(key) if key else None
        if html is None:
            with context.push(run=run, analysis=verdicts.get(run.pk)):
                html = row_template.render(context)
            if key:
                new[key] = html
        drawn.append(html)
    if new:
        rows_cache.set_many(new, timeout=page.row_seconds)
    return mark_safe("".join(drawn))
