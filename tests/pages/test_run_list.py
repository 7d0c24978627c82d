import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import T0, RunFactory
from webapp.runs.presenters import runs_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client, people):
    client.force_login(people.alice)
    return client


def titles(response) -> list[str]:
    return [run.title for run in response.context["list"].runs]


def test_the_list_shows_the_teams_runs_with_their_figures(alice_client, people):
    RunFactory(team=people.team_a, question="How do TCP and UDP differ?", duration_seconds=125, cost_usd=0.059927,
               input_tokens=31705, output_tokens=4022)
    RunFactory(team=people.team_b, question="Birch's secret run")
    response = alice_client.get("/runs/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "How do TCP and UDP differ?" in body and "Birch" not in titles(response)
    assert "2m 05s" in body and "$0.0599" in body and "35.7k" in body and "gpt-5-mini" in body


def test_search_matches_question_text(alice_client, people):
    RunFactory(team=people.team_a, question="Explain the 2008 crisis")
    RunFactory(team=people.team_a, question="TCP or UDP?")
    assert titles(alice_client.get("/runs/", {"q": "crisis"})) == ["Explain the 2008 crisis"]


def test_filters_by_status_model_and_date_range(alice_client, people):
    RunFactory(team=people.team_a, question="failed one", status="failed", error="bad archive")
    RunFactory(team=people.team_a, question="gemini one", models="gemini-2.5-flash,gpt-5-mini")
    RunFactory(team=people.team_a, question="mini only", models="gpt-5-mini-2")
    RunFactory(team=people.team_a, question="last year", started_at=T0 - timedelta(days=365))
    assert titles(alice_client.get("/runs/", {"status": "failed"})) == ["failed one"]
    assert titles(alice_client.get("/runs/", {"model": "gemini-2.5-flash"})) == ["gemini one"]
    # A whole model name, not a prefix of another one.
    assert titles(alice_client.get("/runs/", {"model": "gpt-5-mini-2"})) == ["mini only"]
    since = (T0 - timedelta(days=1)).date().isoformat()
    assert "last year" not in titles(alice_client.get("/runs/", {"since": since}))
    assert titles(alice_client.get("/runs/", {"until": (T0 - timedelta(days=300)).date().isoformat()})) == ["last year"]


def test_bad_filter_values_are_ignored_rather_than_an_error(alice_client, people):
    RunFactory(team=people.team_a)
    response = alice_client.get("/runs/", {"status": "nope", "since": "yesterday", "sort": "drop table", "page": "x"})
    assert response.status_code == 200 and len(titles(response)) == 1


def test_sorts_by_cost_and_duration_both_ways(alice_client, people):
    RunFactory(team=people.team_a, question="cheap slow", cost_usd=0.01, duration_seconds=300, started_at=T0)
    RunFactory(team=people.team_a, question="dear fast", cost_usd=2.0, duration_seconds=5, started_at=T0 + timedelta(hours=1))
    assert titles(alice_client.get("/runs/", {"sort": "-cost"})) == ["dear fast", "cheap slow"]
    assert titles(alice_client.get("/runs/", {"sort": "cost"})) == ["cheap slow", "dear fast"]
    assert titles(alice_client.get("/runs/", {"sort": "-duration"})) == ["cheap slow", "dear fast"]
    assert titles(alice_client.get("/runs/", {"sort": "started"})) == ["cheap slow", "dear fast"]
    assert titles(alice_client.get("/runs/", {"sort": "-started"})) == ["dear fast", "cheap slow"]


def test_the_column_header_toggles_the_sort_direction(alice_client, people):
    RunFactory(team=people.team_a)
    body = alice_client.get("/runs/", {"sort": "-cost"}).content.decode()
    assert 'aria-sort="descending"' in body and 'href="?sort=cost"' in body


def test_pages_of_runs_with_a_link_to_the_next(alice_client, people, monkeypatch):
    monkeypatch.setattr(runs_list, "PAGE_SIZE", 2)
    for i in range(5):
        RunFactory(team=people.team_a, question=f"run {i}", cost_usd=i)
    first = alice_client.get("/runs/", {"sort": "-cost"})
    assert titles(first) == ["run 4", "run 3"] and first.context["list"].pages == 3
    assert 'href="?sort=-cost&amp;page=2&amp;after=' in first.content.decode()
    assert titles(alice_client.get("/runs/", {"sort": "-cost", "page": 3})) == ["run 0"]
    # Past the end: the last page.
    assert titles(alice_client.get("/runs/", {"sort": "-cost", "page": 99})) == ["run 0"]


def test_an_htmx_filter_request_gets_only_the_list(alice_client, people):
    RunFactory(team=people.team_a, question="only this")
    response = alice_client.get("/runs/", {"q": "only"}, headers={"HX-Request": "true", "HX-Target": "run-list"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="run-list"') and "only this" in body and "<html" not in body


def test_pending_runs_poll_their_status_with_a_link_fallback(alice_client, people):
    run = RunFactory(team=people.team_a, status="queued", question="")
    body = alice_client.get("/runs/").content.decode()
    assert f'hx-get="/runs/{run.pk}/status/"' in body and f'href="/runs/{run.pk}/"' in body


def test_the_count_is_bounded(alice_client, people, monkeypatch):
    monkeypatch.setattr(runs_list, "COUNT_CAP", 3)
    monkeypatch.setattr(runs_list, "PAGE_SIZE", 2)
    for i in range(5):
        RunFactory(team=people.team_a)
    response = alice_client.get("/runs/")
    assert "3+ runs" in response.content.decode() and response.context["list"].pages is None
    assert response.context["list"].next_query


def test_a_page_of_runs_costs_a_fixed_number_of_queries(alice_client, people):
    for i in range(30):
        RunFactory(team=people.team_a)
    with CaptureQueriesContext(connection) as small:
        alice_client.get("/runs/")
    for i in range(60):
        RunFactory(team=people.team_a)
    with CaptureQueriesContext(connection) as big:
        alice_client.get("/runs/")
    assert len(big.captured_queries) == len(small.captured_queries) <= 10


def test_viewers_see_no_upload_form(client, people):
    from webapp.teams.models import Membership

    Membership.objects.filter(user=people.bob).update(role="viewer")
    client.force_login(people.bob)
    body = client.get("/runs/").content.decode()
    assert "data-upload" not in body and "Upload a run" not in body
    assert "data-upload" in (client.force_login(people.alice) or client.get("/runs/").content.decode())


# Session, user, memberships (once), count, page, the model choices' key (and their
# DISTINCT when not cached), the latest verdicts.
LIST_PAGE_MAX_QUERIES = 8


def test_the_list_of_10000_runs_costs_a_fixed_number_of_queries(alice_client, people, django_assert_max_num_queries):
    # Its speed is measured by bench/ingest.py; here, that no page grows with the data.
    from webapp.runs.models import Run

    template = RunFactory(team=people.team_a)
    Run.objects.bulk_create(
        Run(team=people.team_a, source="upload", sha256=f"{i:064d}", status="ready", question=f"Question number {i}",
            started_at=T0 + timedelta(minutes=i), duration_seconds=i % 300, models=template.models, cost_usd=i / 1000)
        for i in range(10_000)
    )
    for query in ({}, {"sort": "-cost", "page": 150}, {"q": "number 99", "sort": "duration"}, {"model": "gpt-5-mini"}):
        with django_assert_max_num_queries(LIST_PAGE_MAX_QUERIES):
            response = alice_client.get("/runs/", query)
        assert response.status_code == 200 and response.context["list"].runs


def test_the_model_choices_show_a_new_runs_models_at_once(alice_client, people):
    RunFactory(team=people.team_a, models="gpt-5-mini")
    assert alice_client.get("/runs/").context["list"].model_choices == ["gpt-5-mini"]
    RunFactory(team=people.team_a, models="claude-sonnet-4-5,gpt-5-mini")

    assert alice_client.get("/runs/").context["list"].model_choices == ["claude-sonnet-4-5", "gpt-5-mini"]


@pytest.mark.parametrize("query", [{"status": "ready"}, {"sort": "cost"}, {"q": "Which"}])
def test_the_model_choices_show_a_new_runs_models_at_once_on_any_view(alice_client, people, query):
    RunFactory(team=people.team_a, models="gpt-5-mini", question="Which one?")
    assert alice_client.get("/runs/", query).context["list"].model_choices == ["gpt-5-mini"]
    RunFactory(team=people.team_a, models="claude-sonnet-4-5", question="Which two?")

    assert alice_client.get("/runs/", query).context["list"].model_choices == ["claude-sonnet-4-5", "gpt-5-mini"]


def test_the_default_list_keys_the_model_choices_by_its_own_first_row(alice_client, people):
    # The first page in the default order starts with the team's newest run, which is
    # what the model choices are keyed by: no query of their own for it.
    RunFactory(team=people.team_a, models="gpt-5-mini")
    alice_client.get("/runs/")
    with CaptureQueriesContext(connection) as queries:
        alice_client.get("/runs/")
    assert not [q for q in queries.captured_queries if 'FROM "runs_run"' in q["sql"] and q["sql"].rstrip().endswith("LIMIT 1")]


def test_the_model_choices_are_not_recomputed_on_every_request(alice_client, people):
    RunFactory(team=people.team_a, models="gpt-5-mini")
    alice_client.get("/runs/")
    with CaptureQueriesContext(connection) as queries:
        alice_client.get("/runs/")
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes exist on PostgreSQL only")
@pytest.mark.parametrize("column", ["question", "original_name"])
def test_on_postgresql_the_search_can_use_a_trigram_index(people, column):
    # Django's icontains SQL must match the index's expression, or every search reads the team.
    from webapp.runs.models import Run

    query = Run.objects.filter(**{f"{column}__icontains": "kubernetes"}).order_by()
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be read whole anyway
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"run_{column}_trgm" in plan


def _tbody(response) -> str:
    body = response.content.decode()
    return body[body.index("<tbody>"):body.index("</tbody>")]


def test_a_ready_runs_row_is_drawn_once_and_reused(alice_client, people):
    from django.core.cache import caches

    caches[runs_list.ROW_CACHE].clear()
    RunFactory(team=people.team_a, question="Which queue?", cost_usd=0.25)
    first = _tbody(alice_client.get("/runs/"))
    assert _tbody(alice_client.get("/runs/")) == first
    rows = caches[runs_list.ROW_CACHE]
    [key] = [key.removeprefix(":1:") for key in rows._cache if ".run-row." in key]
    rows.set(key, "<tr><td>from the row cache</td></tr>")
    assert "from the row cache" in _tbody(alice_client.get("/runs/"))


def test_a_changed_run_or_a_new_verdict_redraws_its_row_at_once(alice_client, people):
    from tests.factories import AnalysisFactory

    run = RunFactory(team=people.team_a, question="Which queue?", cost_usd=0.25)
    assert "$0.2500" in alice_client.get("/runs/").content.decode()
    type(run).objects.filter(pk=run.pk).update(cost_usd=1.5, question="Which broker?")
    body = alice_client.get("/runs/").content.decode()
    assert "$1.50" in body and "Which broker?" in body and "Which queue?" not in body
    analysis = AnalysisFactory(run=run, verdict="warn")
    body = alice_client.get("/runs/").content.decode()
    assert f'class="badge warn">warn<' in body and analysis.get_absolute_url() in body
    type(analysis).objects.filter(pk=analysis.pk).update(verdict="fail")
    assert 'class="badge fail">fail<' in alice_client.get("/runs/").content.decode()


def test_rows_that_poll_or_hold_a_form_are_never_taken_from_the_cache(alice_client, people):
    from django.core.cache import caches

    caches[runs_list.ROW_CACHE].clear()
    RunFactory(team=people.team_a, question="Still reading", status="processing")
    RunFactory(team=people.team_a, question="Broken upload", status="failed", error="not a MassGen run")
    alice_client.get("/runs/")
    body = alice_client.get("/runs/").content.decode()
    token = alice_client.cookies["csrftoken"].value if "csrftoken" in alice_client.cookies else None
    assert "Dismiss" in body and 'name="csrfmiddlewaretoken"' in body and token is not None
    assert not [key for key in caches[runs_list.ROW_CACHE]._cache if "run-row" in key]


def _follow(client, query: dict, link: str) -> list[list[str]]:
    """Every page's titles, following the pager's `link` (next_query or previous_query) to its end."""
    from urllib.parse import parse_qsl

    pages = []
    while True:
        response = client.get("/runs/", query)
        assert response.status_code == 200
        pages.append(titles(response))
        target = getattr(response.context["list"], link)
        if target is None:
            return pages
        query = dict(parse_qsl(target))


@pytest.mark.parametrize("sort", list(runs_list.SORTS))
def test_next_and_previous_walk_every_run_once_in_order_in_every_sort(alice_client, people, monkeypatch, sort):
    """Keyset pages (the pager's cursors) give exactly the pages OFFSET gives, with
    equal values, NULLs (sorted last both ways) and runs created in the same instant."""
    monkeypatch.setattr(runs_list, "PAGE_SIZE", 3)
    same_instant = T0 + timedelta(days=3)
    for i in range(11):
        RunFactory(
            team=people.team_a, question=f"run {i}", created_at=same_instant if i % 4 == 0 else T0 + timedelta(hours=i),
            cost_usd=None if i % 5 == 0 else float(i % 3), duration_seconds=None if i % 3 == 0 else 60.0,
            started_at=None if i % 2 else T0 + timedelta(minutes=i % 4),
        )
    by_number = [titles(alice_client.get("/runs/", {"sort": sort, "page": page})) for page in range(1, 5)]
    forwards = _follow(alice_client, {"sort": sort}, "next_query")
    assert forwards == by_number and sorted(sum(forwards, [])) == sorted(f"run {i}" for i in range(11))
    last = alice_client.get("/runs/", {"sort": sort, "page": 4})
    from urllib.parse import parse_qsl

    backwards = _follow(alice_client, dict(parse_qsl(last.context["list"].previous_query)), "previous_query")
    assert backwards == by_number[-2::-1]


def test_a_deep_page_reached_by_the_pager_reads_no_earlier_rows(alice_client, people, monkeypatch):
    monkeypatch.setattr(runs_list, "PAGE_SIZE", 2)
    for i in range(7):
        RunFactory(team=people.team_a, question=f"run {i}", created_at=T0 + timedelta(hours=i))
    second = alice_client.get("/runs/", {"page": 2})
    from urllib.parse import parse_qsl

    third_query = dict(parse_qsl(second.context["list"].next_query))
    assert third_query["page"] == "3" and third_query["after"]
    with CaptureQueriesContext(connection) as queries:
        third = alice_client.get("/runs/", third_query)
    assert titles(third) == ["run 2", "run 1"]
    [page_query] = [q["sql"] for q in queries.captured_queries if "attempt_count" in q["sql"] or "runs_attempt" in q["sql"]]
    assert "OFFSET" not in page_query.upper()


@pytest.mark.parametrize("cursor", ["not-a-cursor", "", "MjAyNi0wMS0wMQ", "x" * 5000, "fA"])
def test_a_hand_edited_cursor_shows_the_page_by_number(alice_client, people, monkeypatch, cursor):
    monkeypatch.setattr(runs_list, "PAGE_SIZE", 2)
    for i in range(5):
        RunFactory(team=people.team_a, question=f"run {i}", created_at=T0 + timedelta(hours=i))
    for key in ("after", "before"):
        response = alice_client.get("/runs/", {"page": 2, key: cursor})
        assert response.status_code == 200 and titles(response) == ["run 2", "run 1"]


def test_a_cursor_from_another_sort_is_not_misread(alice_client, people, monkeypatch):
    monkeypatch.setattr(runs_list, "PAGE_SIZE", 2)
    for i in range(5):
        RunFactory(team=people.team_a, question=f"run {i}", created_at=T0 + timedelta(hours=i), cost_usd=float(i))
    from urllib.parse import parse_qsl

    newest = dict(parse_qsl(alice_client.get("/runs/").context["list"].next_query))
    response = alice_client.get("/runs/", {"sort": "-cost", "page": 2, "after": newest["after"]})
    assert titles(response) == ["run 2", "run 1"]  # by number: the cursor holds no cost


def test_when_the_runs_after_a_cursor_are_deleted_the_next_link_shows_the_last_page(alice_client, people, monkeypatch):
    monkeypatch.setattr(runs_list, "PAGE_SIZE", 2)
    runs = [RunFactory(team=people.team_a, question=f"run {i}", created_at=T0 + timedelta(hours=i)) for i in range(5)]
    from urllib.parse import parse_qsl

    second = dict(parse_qsl(alice_client.get("/runs/").context["list"].next_query))
    third = dict(parse_qsl(alice_client.get("/runs/", second).context["list"].next_query))
    type(runs[0]).objects.filter(pk__in=[runs[0].pk, runs[1].pk]).delete()
    response = alice_client.get("/runs/", third)
    assert response.status_code == 200 and titles(response) == ["run 2"]


def test_paging_back_after_new_runs_arrived_ends_on_the_first_page(alice_client, people, monkeypatch):
    monkeypatch.setattr(runs_list, "PAGE_SIZE", 2)
    for i in range(6):
        RunFactory(team=people.team_a, question=f"run {i}", created_at=T0 + timedelta(hours=i))
    from urllib.parse import parse_qsl

    second = alice_client.get("/runs/", {"page": 2})
    back = dict(parse_qsl(alice_client.get("/runs/", {"page": 3}).context["list"].previous_query))
    type(second.context["list"].runs[0]).objects.filter(question__in=["run 5", "run 4"]).delete()
    response = alice_client.get("/runs/", back)
    assert response.context["list"].page == 1 and titles(response) == ["run 3", "run 2"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes exist on PostgreSQL only")
@pytest.mark.parametrize("index", ["run_question_trgm", "run_original_name_trgm"])
def test_on_postgresql_the_search_expressions_keep_fine_statistics(index):
    # With the default target the planner's guess of a word's matches swung 100x
    # between ANALYZEs, and a small team's search read every run of the team.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute WHERE attrelid = %s::regclass AND attnum = 1", [index]
        )
        assert cursor.fetchone()[0] == 1000


@pytest.mark.parametrize("status", ["queued", "processing", "failed"])
def test_a_run_not_read_yet_or_failed_shows_no_figures_rather_than_zeros(alice_client, people, status):
    RunFactory(team=people.team_a, question="Not read", status=status, error="not a MassGen run" if status == "failed" else "",
               error_count=0, input_tokens=0, output_tokens=0, cost_usd=0)
    body = alice_client.get("/runs/").content.decode()
    row = re.search(r"<tr>\s*<td class=\"question\">.*?</tr>", body, re.S).group(0)
    cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
    assert cells[1:] and all("—" in cell for cell in cells[1:]), cells
    assert "$0" not in row
