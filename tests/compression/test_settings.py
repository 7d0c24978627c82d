"""The Compression block of the settings: strict, and naming the variable."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from tests.foundation.test_settings_from_env import load_settings


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBRIEF_COMPRESSION", "shrink", "DEBRIEF_COMPRESSION='shrink' must be one of: auto, native, summarize, off."),
        ("DEBRIEF_COMPRESSION_THRESHOLD", "most", "DEBRIEF_COMPRESSION_THRESHOLD='most' is not a number."),
        ("DEBRIEF_COMPRESSION_THRESHOLD", "0", "DEBRIEF_COMPRESSION_THRESHOLD=0.0 must be more than 0 and at most 1"),
        ("DEBRIEF_COMPRESSION_THRESHOLD", "1.5", "DEBRIEF_COMPRESSION_THRESHOLD=1.5 must be more than 0 and at most 1"),
    ],
)
def test_a_bad_compression_setting_stops_the_start_naming_the_variable(variable, value, message):
    result = load_settings(**{variable: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_good_compression_settings_load():
    result = load_settings(DEBRIEF_COMPRESSION="summarize", DEBRIEF_COMPRESSION_THRESHOLD="0.75")

    assert result.returncode == 0, result.stderr


def test_a_summariser_the_registry_does_not_know_fails_the_system_check(settings):
    settings.DEBRIEF_SUMMARISER_MODEL = "nobody/summariser"

    [error] = [message for message in run_checks() if message.id == "debrief.compression.E001"]

    assert "DEBRIEF_SUMMARISER_MODEL='nobody/summariser': Unknown model" in error.msg
