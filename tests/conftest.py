import os
from types import SimpleNamespace

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made
# by tests around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests import network_guard  # noqa: E402

network_guard.install()  # before anything under test is imported

from tests.browser import browser, page  # noqa: E402,F401
from tests.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory  # noqa: E402
from tests.services import require_redis  # noqa: E402
from tests.workers import WorkerProcess  # noqa: E402

pytest_plugins = ["tests.fakeopenai.plugin"]


@pytest.fixture
def people(db):
    """alice owns team A, bob is a member of team A, charlie owns team B only."""
    team_a, team_b = TeamFactory(name="Acme", slug="acme"), TeamFactory(name="Birch", slug="birch")
    alice = MembershipFactory(team=team_a, user=UserFactory(username="alice"), role="owner").user
    bob = MembershipFactory(team=team_a, user=UserFactory(username="bob"), role="member").user
    charlie = MembershipFactory(team=team_b, user=UserFactory(username="charlie"), role="owner").user
    return SimpleNamespace(alice=alice, bob=bob, charlie=charlie, team_a=team_a, team_b=team_b, password=PASSWORD)


@pytest.fixture(scope="session", autouse=True)
def embedded_broker():
    """The session's own embedded broker, started before any test can queue a task
    (as `debrief serve` starts it before its web server), stopped at the end."""
    from django.conf import settings

    if not settings.EMBEDDED_BROKER:
        yield None
        return
    from webapp.core import embedded_broker as broker

    broker.ensure_running(settings.BROKER_DIR)
    yield settings.BROKER_DIR
    broker.shutdown(settings.BROKER_DIR)


def pytest_unconfigure(config):
    import shutil

    from tests import settings as test_settings

    for folder in test_settings.SESSION_TEMP_DIRS:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def broker_url(embedded_broker):
    from django.conf import settings

    if not settings.EMBEDDED_BROKER:
        require_redis(settings.CELERY_BROKER_URL)
    return settings.CELERY_BROKER_URL


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, broker_url, tmp_path_factory):
    """One real worker process for the session, on the test database and broker."""
    worker = WorkerProcess(tmp_path_factory.mktemp("worker") / "worker.log").start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def s3_server():
    """One moto S3 server on 127.0.0.1 for the session; each test takes its own bucket."""
    from tests.s3server import S3Server

    server = S3Server().start()
    yield server
    server.stop()
