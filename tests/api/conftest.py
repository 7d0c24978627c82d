from types import SimpleNamespace

import pytest

from tests.ingest.conftest import storage_dir  # noqa: F401 - shared fixture
from webapp.api.tokens import do_create_token


@pytest.fixture
def tokens(people):
    """Plaintext tokens: acme's upload/read/full (made by alice) and birch's full (charlie's)."""
    made = {scope: do_create_token(people.team_a, scope, f"acme {scope}", people.alice)[1] for scope in ("upload", "read", "full")}
    return SimpleNamespace(**made, birch=do_create_token(people.team_b, "full", "birch", people.charlie)[1])


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
