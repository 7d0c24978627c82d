"""The coordination timeline as SVG markup, drawn in one pass: a busy run has
thousands of marks, and one `format_html` per mark (a template loop is worse) was
a third of the run page's time at 5,000 events. Every piece of text goes through
`html.escape` (quotes included, so it is safe in attributes too); the numbers are
the timeline's own geometry."""

from html import escape

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from webapp.runs.timeline import Marker, Timeline

register = template.Library()

_SHAPES = {
    "answer": '<circle cx="{x}" cy="{y}" r="7"/><text x="{x}" y="{y}" dy="-12">{text}</text>',
    "vote": '<circle cx="{x}" cy="{y}" r="4"/>',
    "restart": '<path d="M{x},{y} m0,5 v14"/><text x="{x}" y="{y}" dy="30">↻</text>',
    "error": '<path d="M{x},{y} m-5,-5 l10,10 m0,-10 l-10,10"/>',
    "timeout": '<rect x="{x}" y="{y}" width="10" height="10" transform="translate(-5 -5)"/>',
    "vote_ignored": '<circle cx="{x}" cy="{y}" r="4"/><path d="M{x},{y} m-6,6 l12,-12"/>',
    "final_selected": '<circle cx="{x}" cy="{y}" r="12"/>',
}


@register.simple_tag
def timeline_svg(timeline: Timeline) -> SafeString:
    t = timeline
    parts = [
        format_html(
            '<svg class="timeline-svg" viewBox="0 0 {} {}" role="group" aria-labelledby="timeline-caption">',
            t.width, t.height,
        ),
        "<defs>",
        format_html_join("", '<marker id="tl-arrow-{0}" class="tone-{0}" viewBox="0 0 10 10" refX="9" refY="5" '
                             'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                             '<path d="M0,1 L10,5 L0,9 z"/></marker>',
                         ((tone,) for tone in sorted({lane.tone for lane in t.lanes}))),
        "</defs>",
        mark_safe("".join(_lane(t, lane) for lane in t.lanes)),
        '<g class="tl-grid" aria-hidden="true">',
        format_html_join("", '<path d="M{},{} V{}"/>', ((tick.x, t.plot_top, t.axis_y) for tick in t.ticks)),
        '</g><g class="tl-votes">',
        mark_safe("".join(_arrow(a) for a in t.arrows)),
        '</g><g class="tl-marks">',
        mark_safe("".join(_marker(m) for m in t.markers)),
        '</g><g class="tl-axis">',
        format_html('<line x1="{}" x2="{}" y1="{}" y2="{}"/>', t.plot_left, t.plot_right, t.axis_y, t.axis_y),
        format_html_join("", '<path d="M{0},{1} v5"/><text x="{0}" y="{1}" dy="19">{2}</text>',
                         ((tick.x, t.axis_y, tick.text) for tick in t.ticks)),
        "</g></svg>",
    ]
    return mark_safe("".join(str(part) for part in parts))


def _lane(t: Timeline, lane) -> SafeString:
    subtitle = format_html('<text class="tl-lane-sub" x="{}" y="{}" dy="13">{}</text>', t.label_x, lane.y,
                           _truncate(lane.subtitle, 22)) if lane.subtitle else ""
    return format_html(
        '<g class="tl-lane tone-{tone}" data-agent="{agent}">'
        '<rect class="tl-lane-bg" x="0" y="{top}" width="{width}" height="{height}"/>'
        '<line class="tl-lane-line" x1="{left}" x2="{right}" y1="{y}" y2="{y}"/>'
        '<text class="tl-lane-name" x="{label_x}" y="{y}" dy="{dy}"><title>{agent}</title>{short}</text>{sub}</g>',
        tone=lane.tone, agent=lane.agent, top=lane.top, width=t.width, height=t.lane_height, left=t.plot_left,
        right=t.plot_right, y=lane.y, label_x=t.label_x, dy=-2 if lane.subtitle else 4, short=_truncate(lane.agent, 20),
        sub=subtitle,
    )


def _arrow(a) -> str:
    tone, path = _e(a.tone), _e(a.path)
    title = _e(a.title if a.final else f"{a.title} (replaced by a later vote)")
    return (
        f'<a href="#{_e(a.anchor)}" class="tl-vote tone-{tone}{"" if a.final else " replaced"}" '
        f'data-voter="{_e(a.voter)}" data-target="{_e(a.target)}"><title>{title}</title>'
        f'<path class="tl-hit" d="{path}"/><path d="{path}" marker-end="url(#tl-arrow-{tone})"/></a>'
    )


def _marker(m: Marker) -> str:
    shape = _SHAPES[m.kind].format(x=_number(m.x), y=_number(m.y), text=_e(m.text or ""))
    head = f'class="tl-mark {_e(m.kind)} tone-{_e(m.tone)}"><title>{_e(m.title)}</title>{shape}'
    if m.anchor:
        return f'<a href="#{_e(m.anchor)}" {head}</a>'
    return f"<g {head}</g>"


def _e(value) -> str:
    return escape(str(value))


def _number(value) -> str:
    # Geometry is int or float; anything else would be a bug, not text to draw.
    if not isinstance(value, (int, float)):
        raise TypeError(f"timeline coordinate {value!r} is not a number")
    return str(value)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
