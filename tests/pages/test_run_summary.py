"""The run page's summary strip, rendered markdown, restarted attempts, and the
triage columns of the runs list and the dashboard (server side; the browser
checks are in test_browser_triage.py)."""

import re

import pytest
from django.utils.html import escape

from tests.factories import AnalysisFactory, RunFactory
from tests.pages.conftest import make_coordinated_run
from tests.pages.triage_runs import RESTART_REASON, make_restarted_run
from tests.samples import SAMPLE_RUNS, ingest_sample
from webapp.core.templatetags.rendered_text import line_cut
from webapp.runs.presenters.attempt_choice import choose_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(client, people):
    client.force_login(people.alice)
    return client


def test_the_strip_says_who_won_by_how_much_after_what_and_at_what_cost(alice, people):
    run = make_restarted_run(people.team_a)
    page = alice.get(f"/runs/{run.pk}/").context["page"]
    assert page.summary.sentence == (
        "agent_a (model-0) won 2–0 after 1 restart; 1 error on agent_b; 1.1k tokens, $0.0100."
    )
    cards = {card.key: card for card in page.summary.cards}
    assert (cards["errors"].value, cards["retries"].value, cards["restarts"].value) == (1, 3, 1)
    assert cards["retries"].detail == "2 provider retries, 1 enforcement retry"
    assert all(card.alarming for card in cards.values())


def test_the_winning_votes_reasons_are_on_the_strip(alice, people):
    run = make_coordinated_run(people.team_a)
    body = alice.get(f"/runs/{run.pk}/").content.decode()
    strip = body[body.index('id="summary"'):body.index('class="stats"')]
    assert "A is clearer" in strip and "Why agent_a won" in strip


def test_a_restarted_attempt_shows_who_presented_and_why_it_was_rejected_and_no_winner(alice, people):
    run = make_restarted_run(people.team_a)
    response = alice.get(f"/runs/{run.pk}/?turn=1&attempt=1")
    body = response.content.decode()
    assert response.context["page"].winner == ""
    assert "rejected by post-evaluation" in body and escape(RESTART_REASON) in body
    assert "Presented by <strong>agent_b</strong>" in body
    assert 'class="winner-mark"' not in body and "badge ok\">winner" not in body
    assert "Final answer <span class=\"muted\">by" not in body


def test_the_accepted_attempt_after_a_restart_says_why_the_turn_was_restarted(alice, people):
    run = make_restarted_run(people.team_a)
    body = alice.get(f"/runs/{run.pk}/").content.decode()
    assert "The attempt before this one was rejected by post-evaluation" in body and escape(RESTART_REASON) in body


def test_the_final_answer_is_rendered_markdown_with_its_raw_text_one_click_away(alice, people):
    run = make_restarted_run(people.team_a)
    body = alice.get(f"/runs/{run.pk}/").content.decode()
    section = body[body.index('id="final-answer"'):body.index('id="analyse-panel"')]
    assert "<strong>TCP vs UDP</strong>" in section and "<table>" in section and "<pre><code>send()" in section
    assert '<details class="raw-toggle">' in section and "**TCP vs UDP**" in section.split("raw-toggle")[1]


def test_log_text_rendered_as_markdown_cannot_inject_markup(alice, people):
    run = make_coordinated_run(people.team_a, text='<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=y>')
    body = alice.get(f"/runs/{run.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body and 'href="javascript' not in body and "<img src=x" not in body
    assert "<p>Answer A &lt;script&gt;" in body


def test_a_cut_preview_ends_at_a_line_or_word_boundary():
    assert line_cut("first line\nsecond line\nthird li") == "first line\nsecond line\n…"
    assert line_cut("one two thr") == "one two …"


def test_reader_notes_are_folded_into_one_disclosure(alice, people):
    run = make_coordinated_run(people.team_a)
    run.warnings = ["note one", "note two"]
    run.save()
    body = alice.get(f"/runs/{run.pk}/").content.decode()
    assert "Reader notes (2)" in body
    assert '<ul class="warnings"' not in body


def test_the_page_opens_on_the_last_complete_turn(people):
    run = make_coordinated_run(people.team_a)
    first = run.attempts.get()
    stub = first
    stub.pk = None
    stub.turn, stub.totals, stub.final_answer_chars, stub.complete = 2, {}, None, True
    stub.save()
    real = run.attempts.create(turn=3, attempt=1, accepted=True, complete=True, totals={"input_tokens": 5})
    run.attempts.create(turn=4, attempt=1, accepted=True, complete=True, totals={})
    chosen, _ = choose_attempt(run, {})
    assert chosen.pk == real.pk


def test_the_list_shows_errors_restarts_turns_and_the_latest_verdict(alice, people):
    run = make_restarted_run(people.team_a)
    AnalysisFactory(run=run, verdict="warn")
    body = alice.get("/runs/").content.decode()
    row = body[body.index(f'href="/runs/{run.pk}/"'):]
    row = row[: row.index("</tr>")]
    assert re.search(r'badge bad">1<', row) and re.search(r'badge warn">1<', row)
    assert 'class="badge warn">warn</a>' in row
    assert "whole run" in body


def test_a_failed_upload_can_be_dismissed_from_the_list(alice, people):
    failed = RunFactory(team=people.team_a, status="failed", error="Not a MassGen run.")
    body = alice.get("/runs/").content.decode()
    assert f'action="/runs/{failed.pk}/delete/"' in body and "Not a MassGen run." in body


def test_the_list_and_its_fragment_vary_on_hx_request(alice, people):
    response = alice.get("/runs/?q=x", headers={"HX-Request": "true", "HX-Target": "run-list"})
    assert "HX-Request" in response["Vary"]
    assert "<html" not in response.content.decode()
    assert "HX-Request" in alice.get("/runs/?q=x")["Vary"]


def test_a_finished_status_tells_the_list_to_refresh(alice, people):
    run = RunFactory(team=people.team_a)
    response = alice.get(f"/runs/{run.pk}/status/")
    assert response["HX-Trigger"] == "run-finished"


def test_the_dashboard_shows_outcomes_spend_and_an_upload_button(alice, people):
    run = make_restarted_run(people.team_a)
    AnalysisFactory(run=run, verdict="fail", cost_usd=1)
    body = alice.get("/").content.decode()
    assert 'href="/runs/upload/"' in body and "spent on analyses this month" in body
    assert "Latest analyses" in body and 'badge fail' in body and 'badge bad">1<' in body


def test_the_raw_file_is_scrubbed_plain_text_and_downloadable(alice, people):
    from tests.pages.conftest import write_file

    run = RunFactory(team=people.team_a)
    write_file(run, "notes/a.md", b"# Title\n\nkey sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD\n")
    raw = alice.get(f"/runs/{run.pk}/raw/notes/a.md")
    assert raw["Content-Type"].startswith("text/plain") and "sk-proj-abcdefghij" not in raw.content.decode()
    download = alice.get(f"/runs/{run.pk}/raw/notes/a.md?download=1")
    assert download["Content-Disposition"] == 'attachment; filename="a.md"'
    assert alice.get(f"/runs/{run.pk}/raw/notes/missing.md").status_code == 404
    page = alice.get(f"/runs/{run.pk}/files/notes/a.md").content.decode()
    assert "<h1>Title</h1>" in page and 'id="L3"' in page


def test_an_unfinished_run_reloads_itself_without_javascript(alice, people):
    run = RunFactory(team=people.team_a, status="processing")
    assert '<noscript><meta http-equiv="refresh"' in alice.get(f"/runs/{run.pk}/").content.decode()


def test_when_the_strip_shows_fewer_reasons_than_winning_votes_it_says_so_and_points_to_votes(alice, people):
    run = ingest_sample(people.team_a, SAMPLE_RUNS / "massgen-0.1.1" / "gemini-7agents-restarts" / "log_20251026_001748")
    body = alice.get(f"/runs/{run.pk}/").content.decode()
    strip = body[body.index('id="summary"'):body.index('class="stats"')]
    assert "won 7–0" in strip
    assert 'the reasons of 6 of its 7 votes; all are under <a href="#votes">Votes</a>' in strip
