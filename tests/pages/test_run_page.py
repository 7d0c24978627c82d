import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import RunFactory
from tests.pages.conftest import T0, make_coordinated_run
from webapp.runs import timeline
from webapp.runs.models import AnswerRow, Attempt, EventRow

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def test_the_run_page_shows_header_agents_timeline_votes_and_problems(client, people):
    run = make_coordinated_run(people.team_a)
    client.force_login(people.alice)
    body = client.get(f"/runs/{run.pk}/").content.decode()
    for expected in ("Which protocol?", "completed", "agent_a", "model-1", "TCP wins.", "text_stats",
                     "no_workflow_tool", "HTTP 500", "A is clearer", "Final votes received"):
        assert expected in body, expected
    svg = body[body.index("<svg class=\"timeline-svg\""): body.index("</svg>", body.index("timeline-svg"))]
    assert svg.count('class="tl-lane ') == 2
    assert svg.count('class="tl-vote ') == 2 and 'href="#vote-' in svg
    assert 'class="tl-mark restart' in svg and 'class="tl-mark error' in svg
    assert 'id="analyse-panel"' in body


def test_the_answers_load_lazily_from_the_file_browser(client, people):
    run = make_coordinated_run(people.team_a)
    answer = run.attempts.get().answerrows.first()
    answer.path = "turn_1/attempt_1/agent_a/answer.txt"
    answer.save()
    client.force_login(people.alice)
    body = client.get(f"/runs/{run.pk}/").content.decode()
    url = f"/runs/{run.pk}/files/turn_1/attempt_1/agent_a/answer.txt"
    assert f'hx-get="{url}"' in body and f'href="{url}"' in body and 'hx-trigger="toggle once"' in body


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
def test_log_text_is_escaped_everywhere_including_the_svg(client, people, payload):
    run = make_coordinated_run(people.team_a, text=payload)
    client.force_login(people.alice)
    body = client.get(f"/runs/{run.pk}/").content.decode()
    assert payload not in body
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body or "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in body
    svg = body[body.index('<svg class="timeline-svg"'): body.index("</svg>", body.index("timeline-svg"))]
    assert "&lt;" in svg and "<img" not in svg and "<script" not in svg


def test_the_list_escapes_the_question_too(client, people):
    RunFactory(team=people.team_a, question=SCRIPT, winner=IMG, models=IMG)
    client.force_login(people.alice)
    body = client.get("/runs/").content.decode()
    assert SCRIPT not in body and "<img src=x" not in body


def test_turns_and_attempts_switch_with_the_accepted_attempt_first(client, people):
    run = make_coordinated_run(people.team_a)
    Attempt.objects.create(run=run, turn=1, attempt=2, accepted=False, complete=False, finish_reason="restarted",
                           question="the retried one")
    Attempt.objects.create(run=run, turn=2, attempt=1, accepted=True, complete=True, finish_reason="completed",
                           question="a follow-up question")
    client.force_login(people.alice)
    body = client.get(f"/runs/{run.pk}/").content.decode()
    switcher = body[body.index('class="switcher"'): body.index("</nav>", body.index('class="switcher"'))]
    assert re.findall(r"attempt \d", switcher) == ["attempt 1", "attempt 2", "attempt 1"]
    assert 'href="?turn=1&amp;attempt=2"' in switcher
    follow_up = client.get(f"/runs/{run.pk}/", {"turn": 2}).content.decode()
    assert "a follow-up question" in follow_up
    retried = client.get(f"/runs/{run.pk}/", {"turn": 1, "attempt": 2}).content.decode()
    assert "the retried one" in retried and "did not complete" in retried


def test_a_queued_run_shows_its_polling_status(client, people):
    run = RunFactory(team=people.team_a, status="processing", question="")
    client.force_login(people.alice)
    body = client.get(f"/runs/{run.pk}/").content.decode()
    assert f'hx-get="/runs/{run.pk}/status/"' in body and 'hx-trigger="every 1s"' in body
    assert "Reading the logs" in body


def test_the_status_partial_polls_until_ready_then_answers_286(client, people):
    run = RunFactory(team=people.team_a, status="queued")
    client.force_login(people.alice)
    pending = client.get(f"/runs/{run.pk}/status/", headers={"HX-Request": "true"})
    assert pending.status_code == 200 and 'hx-trigger="every 1s"' in pending.content.decode()
    run.status = "ready"
    run.save()
    done = client.get(f"/runs/{run.pk}/status/", headers={"HX-Request": "true"})
    assert done.status_code == 286 and "hx-trigger" not in done.content.decode()
    assert "Ready" in done.content.decode() and f'href="/runs/{run.pk}/"' in done.content.decode()


def test_a_failed_run_stops_polling_and_says_why(client, people):
    run = RunFactory(team=people.team_a, status="failed", error=f"Not a MassGen log folder {SCRIPT}")
    client.force_login(people.alice)
    done = client.get(f"/runs/{run.pk}/status/")
    assert done.status_code == 286
    assert "Not a MassGen log folder &lt;script&gt;" in done.content.decode()
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert "Not a MassGen log folder" in page and "hx-trigger" not in page
    assert f"/runs/{run.pk}/files/" not in page  # nothing was stored: no Raw files button


# The run page's speed is measured by bench/ingest.py; here, that its query count
# does not grow with the number of events, votes or answers.
# Session, user, memberships (once), the run, its attempts, then one query per kind
# of row; the analyses panel's few.
RUN_PAGE_MAX_QUERIES = 22


def assert_bounded_queries(client, url: str, django_assert_max_num_queries) -> None:
    client.get(url)  # fill per-process caches (the model registry, the templates)
    with django_assert_max_num_queries(RUN_PAGE_MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200


def test_the_run_page_with_5000_votes_and_events_costs_a_bounded_number_of_queries(client, people, django_assert_max_num_queries):
    run = make_coordinated_run(people.team_a, events=2500)  # 2,500 votes and 2,500 events
    client.force_login(people.alice)
    assert_bounded_queries(client, f"/runs/{run.pk}/", django_assert_max_num_queries)


def test_the_run_page_with_5000_restarts_and_1000_answers_costs_a_bounded_number_of_queries(client, people, django_assert_max_num_queries):
    run = make_coordinated_run(people.team_a)
    attempt = run.attempts.get()
    EventRow.objects.bulk_create(
        EventRow(run=run, attempt=attempt, position=10 + i, at=T0 + timedelta(seconds=i / 100), kind="restart",
                 agent="agent_a", details="new answer") for i in range(5000))
    AnswerRow.objects.bulk_create(
        AnswerRow(run=run, attempt=attempt, position=10 + i, label=f"agent1.{i + 2}", agent="agent_a",
                  at=T0 + timedelta(seconds=i / 20), preview="p" * 300) for i in range(1000))
    client.force_login(people.alice)
    assert_bounded_queries(client, f"/runs/{run.pk}/", django_assert_max_num_queries)
    body = client.get(f"/runs/{run.pk}/").content.decode()
    assert f"Showing {timeline.MAX_DRAWN_MARKS} of" in body and "The first 300 of 1002 answers" in body


def test_a_second_view_of_an_attempt_reuses_its_drawn_timeline_and_lists(client, people):
    run = make_coordinated_run(people.team_a, events=2500)
    client.force_login(people.alice)
    first = client.get(f"/runs/{run.pk}/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = client.get(f"/runs/{run.pk}/").content.decode()

    def attempt_body(page: str) -> str:  # from the timeline to the agents table; the rest has per-request tokens
        return page[page.index('id="timeline"'):page.index('id="agents"')]

    assert not [q for q in queries.captured_queries if "runs_eventrow" in q["sql"] or "runs_answerrow" in q["sql"]]
    # Only the final votes, for the summary: not every vote for the matrix, nor the listed ones.
    [votes] = [q["sql"] for q in queries.captured_queries if 'FROM "runs_voterow"' in q["sql"]]
    assert "MAX(" in votes
    assert attempt_body(second) == attempt_body(first) and "tl-mark" in attempt_body(first)


def test_the_summary_reads_each_voters_last_vote_as_the_matrix_does(people):
    from webapp.runs.presenters import run_detail

    run = make_coordinated_run(people.team_a, events=500)
    attempt = run.attempts.get()
    ballots = list(attempt.voterows.values_list("position", "voter", "voted_for"))
    final = run_detail._final_votes(attempt)
    assert sorted(item.row.position for item in final) == sorted(run_detail.final_vote_positions(ballots))
    assert all(item.final and item.anchor == f"vote-{item.row.pk}" for item in final)


def test_the_run_page_reads_the_users_memberships_once(client, people):
    run = make_coordinated_run(people.team_a)
    client.force_login(people.alice)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/runs/{run.pk}/").status_code == 200

    assert len([q for q in queries.captured_queries if 'FROM "teams_membership"' in q["sql"]]) == 1


def test_the_page_lists_every_final_vote_then_the_earliest_replaced_ones_up_to_the_cap(people):
    from webapp.runs.models import VoteRow
    from webapp.runs.presenters import run_detail

    run = make_coordinated_run(people.team_a, events=500)
    attempt = run.attempts.get()
    ballots = list(attempt.voterows.values_list("position", "voter", "voted_for"))
    final = run_detail.final_vote_positions(ballots)
    replaced = [position for position, _, _ in ballots if position not in final]
    expected = sorted(final) + replaced[: run_detail.MAX_LISTED - len(final)]
    listed = VoteRow.objects.filter(attempt=attempt).filter(run_detail._votes_to_list(ballots, final))
    assert sorted(listed.values_list("position", flat=True)) == sorted(expected)
    assert max(final) > max(replaced[: run_detail.MAX_LISTED - len(final)])  # a final vote past the cut is listed too
