"""Report markdown comes from a model (and quotes the run's logs): whatever it
holds, the HTML we show runs no script and loads nothing."""

from __future__ import annotations

import pytest

from tests.analyses.support import assert_inert
from webapp.core.markdown import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<div style="position:fixed;top:0">cover</div>',
    "<iframe src=https://evil.example></iframe>",
    '<svg onload="alert(1)"></svg>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_as_markup(payload):
    html = render_markdown(f"# Report\n\n{payload}\n\nText after.")
    assert_inert(html)
    assert "Text after." in html


def test_event_handlers_never_reach_an_attribute():
    html = render_markdown('<b onmouseover="x()">hi</b> [ok](https://ok.example "t")')
    assert "<b " not in html
    assert '<a href="https://ok.example" title="t" rel="noopener noreferrer nofollow">ok</a>' in html


def test_links_open_without_referrer_or_opener_and_are_not_endorsed():
    assert 'rel="noopener noreferrer nofollow"' in render_markdown("[docs](https://example.com/docs)")


def test_tables_headings_and_code_are_kept():
    html = render_markdown("## Votes\n\n| agent | votes |\n|---|---|\n| a | 2 |\n\n`agent1.2`\n\n```\nx = 1\n```")
    for tag in ("<h2>", "<table>", "<td>a</td>", "<code>agent1.2</code>", "<pre><code>"):
        assert tag in html
