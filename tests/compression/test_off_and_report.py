"""What a person sees: `off` refused with the numbers (API, Analyse panel, run
page), the compression record on the report page, and the deployment's default."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.analyses.support import work
from tests.compression.conftest import CHAT_MODEL, LONG_RUN, NATIVE_MODEL, NATIVE_MODEL_ID
from tests.workers import database_url
from webapp.analyses import services
from webapp.analyses.models import Analysis
from webapp.api.tokens import do_create_token

pytestmark = pytest.mark.django_db

DOES_NOT_FIT = re.compile(r"needs ([\d,]+) input tokens; small/native takes ([\d,]+)")


def refused_numbers(text: str) -> tuple[int, int]:
    needed, budget = (int(figure.replace(",", "")) for figure in DOES_NOT_FIT.search(text).groups())
    return needed, budget


def test_off_is_refused_by_the_api_with_the_numbers(client, long_run, people, small_models):
    _, token = do_create_token(people.team_a, "full")

    response = client.post(
        f"/api/v1/runs/{long_run.pk}/analyses",
        json.dumps({"model": NATIVE_MODEL, "compression": "off"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "does_not_fit"
    needed, budget = refused_numbers(body["detail"])
    assert needed > budget > 0
    assert not Analysis.objects.exists() and small_models.requests() == []


def test_off_is_refused_in_the_analyse_panel_and_on_the_run_page_with_the_numbers(client, long_run, people, small_models):
    client.force_login(people.alice)

    preview = client.get(f"/runs/{long_run.pk}/estimate", {"model": NATIVE_MODEL, "compression": "off"}, HTTP_HX_REQUEST="true")
    html = preview.content.decode()
    assert "does not fit" in html and "Run analysis" not in html
    needed, budget = refused_numbers(html)
    assert needed > budget

    page = client.post(f"/runs/{long_run.pk}/analyses/", {"model": NATIVE_MODEL, "compression": "off"}, follow=True)
    assert refused_numbers(page.content.decode()) == (needed, budget)
    assert not Analysis.objects.exists()


def test_the_analyse_panel_shows_the_compression_step_and_the_final_call(client, long_run, people, small_models):
    client.force_login(people.alice)

    html = client.get(f"/runs/{long_run.pk}/estimate", {"model": NATIVE_MODEL, "compression": "auto"}, HTTP_HX_REQUEST="true").content.decode()

    assert re.search(r"Compression <span class=\"muted\">\(native, \d+ calls\)</span>", html)
    assert "Run analysis" in html


def test_the_report_page_shows_the_compression_record(client, long_run, people, small_models, no_enqueue):
    small_models.fail_compact(NATIVE_MODEL_ID, 400)
    analysis = work(services.do_request_analysis(long_run, people.alice, NATIVE_MODEL, "native"))
    record = analysis.compression_record
    client.force_login(people.bob)

    html = client.get(analysis.get_absolute_url()).content.decode()

    section = html[html.index('id="compression-record"'):]
    assert "<strong>summarize</strong>" in section and "(asked for native)" in section
    assert f"{record['tokens_before']:,} → {record['tokens_after']:,}" in section
    assert f"<dd>{len(record['calls'])}: " in section
    assert "Fallback: compaction unsupported" in section
    assert section.count("<td>summarize</td>") == len(record["calls"])  # the refused compaction was not billed


def test_a_run_that_fits_says_no_compression_was_needed(client, short_run, people, small_models, no_enqueue):
    analysis = work(services.do_request_analysis(short_run, people.alice, CHAT_MODEL, "auto"))
    client.force_login(people.alice)

    html = client.get(analysis.get_absolute_url()).content.decode()

    assert "None needed: the request's" in html


def test_the_deployments_default_strategy_is_used_when_none_is_chosen(small_models):
    """DEBRIEF_COMPRESSION, read by a fresh `debrief analyze` as a deployment would."""
    env = os.environ | {
        "DEBRIEF_COMPRESSION": "off",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
    }
    result = subprocess.run(
        [sys.executable, "-m", "webapp.cli", "analyze", str(LONG_RUN), "--model", NATIVE_MODEL, "--estimate-only", "--json"],
        env=env, capture_output=True, text=True, cwd=django_settings.BASE_DIR, timeout=120,
    )

    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)["compression"]
    assert (plan["requested"], plan["possible"]) == ("off", False)
    assert "needs" in plan["reason"]
