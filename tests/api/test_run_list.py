"""GET /api/v1/runs: cursor pagination and filters."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.api.conftest import bearer
from tests.factories import RunFactory

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/runs"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_pages_follow_the_cursor_newest_first_without_gaps_or_repeats(client, tokens, people):
    runs = [RunFactory(team=people.team_a, bare=True, created_at=T0 + timedelta(minutes=i)) for i in range(5)]
    runs += [RunFactory(team=people.team_a, bare=True, created_at=T0 + timedelta(minutes=5)) for _ in range(2)]  # same instant
    expected = [str(run.pk) for run in sorted(runs, key=lambda run: (run.created_at, run.pk), reverse=True)]
    seen, url = [], f"{RUNS}?limit=2"
    while url:
        response = client.get(url, headers=bearer(tokens.read))
        seen += ids(response)
        url = response.json()["next"]
        assert len(seen) <= len(expected)
    assert seen == expected
    assert response.json()["next_cursor"] is None


def test_the_cursor_keeps_the_filters(client, tokens, people):
    for i in range(3):
        RunFactory(team=people.team_a, bare=True, created_at=T0 + timedelta(minutes=i), status="failed")
    RunFactory(team=people.team_a, bare=True, created_at=T0)
    first = client.get(f"{RUNS}?status=failed&limit=2", headers=bearer(tokens.read)).json()
    assert "status=failed" in first["next"]
    second = client.get(first["next"], headers=bearer(tokens.read)).json()
    assert len(first["results"]) == 2 and len(second["results"]) == 1 and second["next"] is None


def test_it_filters_by_status_model_question_and_time(client, tokens, people):
    a = RunFactory(team=people.team_a, bare=True, created_at=T0, models="gpt-5,claude-sonnet-4-5", question="TCP versus UDP?")
    b = RunFactory(team=people.team_a, bare=True, created_at=T0 + timedelta(days=2), models="gpt-5-mini", question="Bloom filters",
                   status="failed")
    get = lambda query: ids(client.get(f"{RUNS}?{query}", headers=bearer(tokens.read)))  # noqa: E731
    assert get("status=failed") == [str(b.pk)]
    assert get("model=gpt-5") == [str(a.pk)]
    assert get("model=claude-sonnet-4-5") == [str(a.pk)]
    assert get("model=gpt-5-mini") == [str(b.pk)]
    assert get("q=tcp") == [str(a.pk)]
    assert get("since=2026-11-02") == [str(b.pk)]
    assert get("until=2026-11-02T00:00:00Z") == [str(a.pk)]
    assert get("since=2026-11-01T11:00:00%2B00:00&until=2026-11-05") == [str(b.pk), str(a.pk)]


@pytest.mark.parametrize("query", ["status=done", "limit=0", "limit=201", "limit=ten", "limit=²", "since=yesterday", "until=2026-13-45", "cursor=garbage", "cursor=Zm9vfGJhcg", f"q={'x' * 201}"])
def test_it_answers_400_for_a_parameter_it_cannot_read(client, tokens, query):
    response = client.get(f"{RUNS}?{query}", headers=bearer(tokens.read))
    assert response.status_code == 400 and response.json()["error"] == "bad_query"
    assert query.split("=")[0] in response.json()["detail"]


def test_the_list_shows_only_the_tokens_team(client, tokens, people):
    mine = RunFactory(team=people.team_a, bare=True, created_at=T0)
    theirs = RunFactory(team=people.team_b, bare=True, created_at=T0)
    assert ids(client.get(RUNS, headers=bearer(tokens.read))) == [str(mine.pk)]
    assert ids(client.get(RUNS, headers=bearer(tokens.birch))) == [str(theirs.pk)]
