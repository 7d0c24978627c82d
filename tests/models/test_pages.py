"""The Analyse panel on the run page, its cost preview (htmx and without
JavaScript) and the Models page."""

from __future__ import annotations

import re

import pytest

from webapp.llm.registry import get_registry
from tests.factories import MembershipFactory, UserFactory
from tests.models.conftest import LONG_ANSWER
from tests.samples import ingest_sample


def preview_url(run, **query) -> str:
    return f"/runs/{run.pk}/estimate?" + "&".join(f"{key}={value}" for key, value in query.items())


@pytest.fixture
def alice(client, people):
    client.force_login(people.alice)
    return client


def test_the_run_page_offers_only_usable_models_plus_one_unlock_line_per_provider(alice, ready_run, openai_key):
    html = alice.get(ready_run.get_absolute_url()).content.decode()

    panel = html[html.index('id="analyse-panel"'):]
    usable = panel[panel.index('<optgroup label="Usable models">'):panel.index('<optgroup label="Not usable here">')]
    assert re.search(r'<option value="gpt-5-mini" selected>gpt-5-mini · 272k context · reasoning · native compaction · default \(recommended\)</option>', usable)
    assert usable.index('value="gpt-5-mini"') < usable.index('value="debrief/offline"') < usable.index('value="gpt-5-nano"')
    assert "disabled" not in usable
    assert re.search(r'<option value="" disabled>add a key to unlock \d+ anthropic models: ANTHROPIC_API_KEY is not set', panel)
    options = re.findall(r"<option ", panel[:panel.index('id="analyse-compression"')])
    providers = {row.provider for row in get_registry().all()}
    assert len(options) <= len(get_registry().all(available=True)) + len(providers)
    # The preview loads after the page, and has a link for browsers without JavaScript.
    assert f'hx-get="/runs/{ready_run.pk}/estimate?model=gpt-5-mini&amp;turn=1&amp;attempt=1" hx-trigger="load"' in panel
    assert f'<a href="/runs/{ready_run.pk}/estimate?model=gpt-5-mini&amp;turn=1&amp;attempt=1">' in panel
    assert f'<form class="analyse-choice" method="get" action="/runs/{ready_run.pk}/estimate"' in panel


def test_a_model_the_endpoint_does_not_list_is_not_offered_in_the_panel(alice, ready_run, openai_key, settings):
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5-mini", "gpt-5-nano")
    openai_key.configure(models=["gpt-5-mini"])

    html = alice.get(ready_run.get_absolute_url()).content.decode()

    assert '<option value="gpt-5-nano"' not in html
    assert '<option value="" disabled>1 openai model not offered by this endpoint</option>' in html


def test_an_unavailable_custom_model_stands_in_its_providers_unlock_line(alice, ready_run, settings, tmp_path):
    models_file = tmp_path / "models.toml"
    models_file.write_text(
        '[[models]]\nname = "gateway/big"\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = "GATEWAY_KEY"\n'
        "context_window = 200000\nmax_output_tokens = 8000\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 2\n"
    )
    settings.DEBRIEF_MODELS_FILE = str(models_file)

    html = alice.get(ready_run.get_absolute_url()).content.decode()

    assert '<option value="" disabled>add a key to unlock 1 custom model: GATEWAY_KEY is not set</option>' in html


def test_with_the_cheapest_model_known_the_panel_lists_it_right_after_the_recommended_one(alice, ready_run, openai_key, settings):
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5-mini", "gpt-5-nano", "gpt-4o")

    html = alice.get(preview_url(ready_run, model="gpt-4o")).content.decode()

    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', html[html.index('id="analyse-model"'):])
    assert [value for value, _ in options[:3]] == ["gpt-5-mini", "gpt-5-nano", "debrief/offline"] or options[1][0] == "gpt-5-nano"
    assert options[1][1].endswith("· cheapest that fits")


def test_the_htmx_preview_is_the_partial_with_the_total_and_the_run_form(alice, ready_run, openai_key):
    response = alice.get(preview_url(ready_run, model="gpt-5-nano"), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="estimate-preview"')
    assert re.search(r'data-testid="estimate-total">\$0\.\d{4}<', html)
    assert '<span class="badge ok">cheapest that fits</span>' in html
    assert f'action="/runs/{ready_run.pk}/analyses/"' in html
    for field in ('name="model" value="gpt-5-nano"', 'name="compression" value="auto"', 'name="estimate_total_usd" value="0.'):
        assert field in html


def test_without_javascript_the_preview_is_a_page_with_the_panel(alice, ready_run, openai_key):
    response = alice.get(preview_url(ready_run, model="gpt-5-nano", compression="off"))

    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert '<option value="gpt-5-nano" selected>' in html
    assert '<option value="off" selected>off</option>' in html
    assert 'data-testid="estimate-total"' in html


def test_a_bad_choice_is_explained_in_place(alice, ready_run, openai_key):
    partial = alice.get(preview_url(ready_run, model="gpt5-nano"), HTTP_HX_REQUEST="true")
    page = alice.get(preview_url(ready_run, model="anthropic/claude-sonnet-4-5"))

    assert partial.status_code == 200 and "Did you mean gpt-5-nano" in partial.content.decode()
    assert page.status_code == 400 and "ANTHROPIC_API_KEY is not set" in page.content.decode()


def test_the_recommendation_warns_above_the_cost_threshold(alice, ready_run, openai_key, settings):
    settings.DEBRIEF_COST_WARNING_USD = 0.01

    html = alice.get(preview_url(ready_run, model="gpt-5-mini"), HTTP_HX_REQUEST="true").content.decode()

    assert '<span class="badge warn">over $0.0100</span>' in html
    assert "more than this deployment's $0.0100 warning threshold" in html


def test_viewers_see_the_cost_but_cannot_start_an_analysis(client, people, ready_run, openai_key):
    viewer = MembershipFactory(team=people.team_a, user=UserFactory(username="vera"), role="viewer").user
    client.force_login(viewer)

    html = client.get(preview_url(ready_run, model="gpt-5-mini"), HTTP_HX_REQUEST="true").content.decode()

    assert 'data-testid="estimate-total"' in html
    assert "/analyses/" not in html and "Viewers cannot start analyses." in html


def test_an_outsider_gets_404_on_estimate_urls(client, people, ready_run, openai_key):
    client.force_login(people.charlie)

    assert client.get(preview_url(ready_run, model="gpt-5-mini")).status_code == 404
    assert client.get(preview_url(ready_run, model="gpt-5-mini"), HTTP_HX_REQUEST="true").status_code == 404


def test_estimate_urls_need_a_login(client, ready_run):
    assert client.get(preview_url(ready_run, model="gpt-5-mini")).status_code == 302


def test_the_models_page_filters_by_provider_availability_and_name(alice, openai_key):
    html = alice.get("/models/", {"provider": "openai", "available": "1", "q": "nano"}).content.decode()

    names = re.findall(r'<td class="name mono">([^<\s]+)', html)
    assert names and all("nano" in name for name in names)
    assert '<option value="openai" selected>openai</option>' in html
    assert "unavailable" not in html.split('id="model-table"')[1].split("</tbody>")[0]


def test_the_models_page_shows_prices_capabilities_and_why_a_model_is_unavailable(alice):
    html = alice.get("/models/", {"q": "claude-sonnet-4-5"}).content.decode()

    row = html[html.index(">anthropic/claude-sonnet-4-5<"):]
    row = row[: row.index("</tr>")]
    assert "200,000" in row and "$3.00" in row and "$15.00" in row and "$0.3000" in row
    assert '<span class="chip">reasoning</span>' in row
    assert "ANTHROPIC_API_KEY is not set" in row


def test_the_models_page_table_is_a_partial_for_htmx(alice):
    html = alice.get("/models/", {"q": "gpt-5-mini"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="model-table").content.decode()

    assert html.lstrip().startswith('<section class="card flush" id="model-table">')


def test_a_run_over_the_compression_threshold_is_compressed_even_though_it_fits(alice, people, settings, tmp_path):
    run = ingest_sample(people.team_a, LONG_ANSWER)
    models_file = tmp_path / "models.toml"
    models_file.write_text(
        '[[models]]\nname = "local/snug"\nbase_url = "http://127.0.0.1:9/v1"\ncontext_window = 38000\n'
        "max_output_tokens = 4096\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 2\n"
    )
    settings.DEBRIEF_MODELS_FILE = str(models_file)
    fits = alice.get(preview_url(run, model="local/snug"), HTTP_HX_REQUEST="true").content.decode()
    settings.DEBRIEF_COMPRESSION_THRESHOLD = 0.5

    compressed = alice.get(preview_url(run, model="local/snug"), HTTP_HX_REQUEST="true").content.decode()

    assert '<span class="badge ok">fits the window</span>' in fits and "needs compression" not in fits
    assert '<span class="badge warn">needs compression</span>' in compressed
    assert "pass this deployment's compression threshold" in compressed


def test_the_models_pages_first_row_is_usable_and_locked_providers_are_one_line_each(alice, openai_key, settings):
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5*", "anthropic/claude-sonnet-*", "gemini/*", "bedrock/*")
    html = alice.get("/models/").content.decode()

    table = html[html.index('id="model-table"'):]
    rows = re.findall(r"<tr class=\"([^\"]*)\">", table)
    first = re.search(r'<td class="name mono">([^<\s]+)', table).group(1)
    assert rows[0] == "" and first == "gpt-5-mini"  # usable, and the default first
    assert table.count(">add a key to unlock ") == len({row.provider for row in get_registry().all(available=False)})
    assert '<a href="?provider=anthropic">add a key to unlock' in table
    assert "listed by its endpoint" in table


def test_a_provider_filter_lists_every_model_usable_first(alice, openai_key, settings):
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5-mini", "gpt-5-nano", "gpt-4o")
    openai_key.configure(models=["gpt-5-nano"])

    html = alice.get("/models/", {"provider": "openai"}).content.decode()

    names = re.findall(r'<td class="name mono">([^<\s]+)', html)
    # usable first (and the default: the endpoint lists only gpt-5-nano), then the rest
    assert names == ["gpt-5-nano", "gpt-4o", "gpt-5-mini"]
    assert "not offered by this endpoint" in html


def test_the_model_options_are_escaped_and_mark_the_chosen_and_the_unusable():
    from webapp.llm.panel import ModelChoice, ProviderGroup
    from webapp.llm.templatetags.llm_panel import _model_options

    groups = (
        ProviderGroup("Usable <models>", (ModelChoice("a<b", "a<b · 8K context", True), ModelChoice("gpt-x", "gpt-x", True))),
        ProviderGroup("Not usable here", (ModelChoice("", 'add a "key"', False),)),
    )
    html = str(_model_options(groups, "gpt-x"))
    assert html == (
        '<optgroup label="Usable &lt;models&gt;"><option value="a&lt;b">a&lt;b · 8K context</option>'
        '<option value="gpt-x" selected>gpt-x</option></optgroup>'
        '<optgroup label="Not usable here"><option value="" disabled>add a &quot;key&quot;</option></optgroup>'
    )
