"""The real MassGen 0.1.1 run (flat layout, 7 Gemini agents, 17 restarts, no
status.json): every page says "not recorded by MassGen 0.1.1" for what that
version never wrote, never $0 or 0, and marks only real restarts."""

import re

import pytest

from tests.samples import SAMPLE_SESSIONS, ingest_sample
from webapp.runs.models import AgentRow, Attempt

pytestmark = pytest.mark.django_db
FLAT = next(folder for folder in SAMPLE_SESSIONS if not (folder / "turn_1").is_dir())
NOT_RECORDED = "not recorded by MassGen 0.1.1"


@pytest.fixture
def flat_run(people):
    return ingest_sample(people.team_a, FLAT)


@pytest.fixture
def alice(client, people):
    client.force_login(people.alice)
    return client


def test_unknown_figures_are_null_in_the_rows(flat_run):
    attempt = Attempt.objects.get(run=flat_run)
    assert (flat_run.input_tokens, flat_run.cost_usd) == (None, None)
    assert attempt.totals["cost_usd"] is None and attempt.tool_calls is None
    rows = AgentRow.objects.filter(run=flat_run)
    assert set(rows.values_list("cost_usd", "input_tokens", "enforcement_retries", "provider_retries")) == {(None, None, None, None)}
    assert sum(rows.values_list("restarts", flat=True)) == 17


def test_the_run_page_says_not_recorded_instead_of_zero(alice, flat_run):
    response = alice.get(f"/runs/{flat_run.pk}/")
    body = response.content.decode()
    page = response.context["page"]
    assert page.summary.sentence == (
        f"agent_6 (gemini-2.5-pro) won 7–0; a restart cascade: 17 agent restarts across 7 agents; "
        f"tokens and cost {NOT_RECORDED}."
    )
    tools_end = body.index("</section>", body.index('id="tools"'))
    own_figures = body[:body.index('id="analyse-panel"')] + body[body.index('id="timeline"'):tools_end]
    assert "$0" not in own_figures  # the Analyse panel may price the free offline model at $0
    assert NOT_RECORDED in body[body.index('class="stats"'):body.index('id="final-answer"')]
    cards = {card.key: card for card in page.summary.cards}
    assert cards["retries"].value is None and NOT_RECORDED in cards["retries"].detail
    assert cards["restarts"].value == 17 and cards["restarts"].alarming and "restart cascade" in cards["restarts"].detail
    agents = body[body.index('id="agents"'):body.index('id="tokens"')]
    assert agents.count(f'title="{NOT_RECORDED}"') == 7 * 7  # 5 usage columns, enforcement and provider retries
    assert "Tokens and cost: " + NOT_RECORDED in body and NOT_RECORDED in body[body.index('id="tools"'):]
    assert "No retries and no errors" not in body


def test_the_restarts_per_agent_are_shown_and_the_timeline_draws_no_trigger_as_a_restart(alice, flat_run):
    page = alice.get(f"/runs/{flat_run.pk}/").context["page"]
    assert [line.restarts for line in page.agent_lines] == [2, 3, 3, 3, 3, 1, 2]
    assert page.timeline.counts.get("restart", 0) == 0 and page.timeline.counts["restart_trigger"] == 7
    assert not any(marker.kind == "restart" for marker in page.timeline.markers)
    body = alice.get(f"/runs/{flat_run.pk}/").content.decode()
    assert "7 new answers restarted the other agents" in body
    assert page.winner == "agent_6"


def test_the_list_and_dashboard_show_a_titled_dash_not_zero(alice, flat_run):
    row = re.search(r"<tr.*?</tr>", alice.get("/runs/").content.decode().split("<tbody>", 1)[1], re.S).group(0)
    assert f'title="{NOT_RECORDED}"' in row and "$0" not in row
    dashboard = alice.get("/").content.decode()
    assert 'title="not recorded by this MassGen version"' in dashboard


def test_sorting_by_cost_puts_runs_without_a_recorded_cost_last(alice, people, flat_run):
    other = ingest_sample(people.team_a)
    for sort in ("-cost", "cost"):
        runs = alice.get("/runs/", {"sort": sort}).context["list"].runs
        assert [run.pk for run in runs] == [other.pk, flat_run.pk]


def test_a_provider_back_off_is_shown_with_its_error_and_counted_on_its_agent(alice, people):
    bloom = next(folder for folder in SAMPLE_SESSIONS if "bloom-filter" in str(folder) and "0.1.97" in str(folder))
    run = ingest_sample(people.team_a, bloom)
    response = alice.get(f"/runs/{run.pk}/")
    body = response.content.decode()
    page = response.context["page"]
    assert {line.row.agent: line.provider_retries for line in page.agent_lines}["gemini-2.5-flash"] == 1
    retries = body[body.index('id="provider-retries"'):body.index("</table>", body.index('id="provider-retries"'))]
    assert "gemini-2.5-flash" in retries and "Retrying attempt 2/5" in retries
    assert "No retries and no errors" not in body and "1 provider retry" in body
