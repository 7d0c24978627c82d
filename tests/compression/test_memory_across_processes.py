"""A refused compaction is remembered in the database: another process, with
nothing in memory, goes straight to summaries."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.analyses.support import work
from tests.compression.conftest import NATIVE_MODEL, NATIVE_MODEL_ID
from tests.workers import database_url
from webapp.analyses import services
from webapp.analyses.models import Analysis

pytestmark = pytest.mark.django_db(transaction=True)  # the other process must see the rows


def deliver_in_another_process(analysis: Analysis) -> None:
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(connection.settings_dict)}
    result = subprocess.run(
        [sys.executable, "-m", "tests.compression.deliver", str(analysis.pk)],
        env=env, capture_output=True, text=True, cwd=settings.BASE_DIR, timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_a_refusal_learnt_in_one_process_spares_another_process_the_compact_call(long_run, people, small_models, no_enqueue):
    small_models.fail_compact(NATIVE_MODEL_ID, 400)
    first = work(services.do_request_analysis(long_run, people.alice, NATIVE_MODEL, "auto"))
    assert len(small_models.requests_to("compact")) == 1

    second = services.do_request_analysis(long_run, people.alice, NATIVE_MODEL, "auto")
    deliver_in_another_process(second)
    second.refresh_from_db()

    assert first.compression_record["applied"] == second.compression_record["applied"] == "summarize"
    assert second.status == "done", second.error
    assert len(small_models.requests_to("compact")) == 1  # the other process never asked
    assert "known to be unsupported" in second.compression_record["fallback_reason"]
