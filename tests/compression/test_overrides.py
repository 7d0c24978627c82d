"""The strategy a person chooses in the UI, the API or the CLI is the one the
analysis task compresses with."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tests.analyses.support import work
from tests.compression.conftest import NATIVE_MODEL
from webapp.analyses.models import Analysis
from webapp.api.tokens import do_create_token

pytestmark = pytest.mark.django_db


def from_the_ui(client, run, people, compression):
    client.force_login(people.bob)
    client.post(f"/runs/{run.pk}/analyses/", {"model": NATIVE_MODEL, "compression": compression})


def from_the_api(client, run, people, compression):
    _, token = do_create_token(people.team_a, "full")
    body = json.dumps({"model": NATIVE_MODEL, "compression": compression})
    client.post(f"/api/v1/runs/{run.pk}/analyses", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def from_the_cli(client, run, people, compression):
    call_command("analyze", str(run.pk), "--model", NATIVE_MODEL, "--compression", compression, "--yes",
                 stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("edge", [from_the_ui, from_the_api, from_the_cli], ids=["ui", "api", "cli"])
def test_a_chosen_strategy_reaches_the_compression_of_the_analysis(client, long_run, people, small_models, no_enqueue, edge):
    edge(client, long_run, people, "summarize")  # the model could compact; the person asked for summaries

    analysis = work(Analysis.objects.get())

    assert analysis.compression == "summarize" and analysis.status == "done", analysis.error
    assert analysis.compression_record["applied"] == "summarize"
    assert small_models.requests_to("compact") == []
