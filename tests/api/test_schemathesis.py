"""Schemathesis against the WSGI app: every operation of the OpenAPI schema,
with generated valid and invalid input, must answer as the schema says (status,
body, headers, content type) and never 500. The rate limits are lifted so the
generated requests reach the views instead of a 429.

A request of the right shape may still be refused for what no schema can say:
an archive that is not a MassGen run, a model this deployment does not offer.
Schemathesis's "valid data is accepted" check is replaced by one that allows
exactly those refusals, by their codes, and no other 400."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.checks import positive_data_acceptance
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings as hypothesis_settings

from webapp.api.schema import build_schema
from webapp.api.tokens import do_create_token

# Enough to reach every operation's documented answers, few enough for a suite run.
EXAMPLES_PER_OPERATION = 40
# 400s a well-formed request may get: the content or the deployment decides.
REFUSALS_OF_WELL_FORMED_REQUESTS = {
    "bad_upload",  # the file is not a .zip/.tar.gz/.tgz of a MassGen run
    "unknown_model", "model_unavailable",  # the registry decides which names exist and work
    "bad_query",  # a date matching the pattern but not on the calendar (2026-02-31)
}

schema = schemathesis.openapi.from_dict(build_schema())
schema.app = get_wsgi_application()
# The API ignores query parameters it does not know (docs/api.md), as most HTTP
# APIs do, so a cache-buster or a newer client's parameter breaks nothing.
schema.config.generation.update(allow_extra_parameters=False)


@pytest.fixture
def wsgi_in_test_transaction():
    """The WSGI handler closes the database connection after each request, which
    would end the test's transaction; Django's test client detaches it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def full_token(people, settings, wsgi_in_test_transaction):
    settings.DEBRIEF_API_RATE_LIMIT = 1_000_000
    settings.DEBRIEF_API_AUTH_FAILURE_LIMIT = 1_000_000
    return do_create_token(people.team_a, "full", "schemathesis", people.alice)[1]


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_the_schema_says(case, full_token, storage_dir):
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {full_token}"}, excluded_checks=[positive_data_acceptance]
    )
    well_formed = case.meta is not None and not case.meta.generation.mode.is_negative
    if well_formed and response.status_code == 400:
        assert response.json()["error"] in REFUSALS_OF_WELL_FORMED_REQUESTS, response.text
