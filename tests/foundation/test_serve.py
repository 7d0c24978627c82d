"""`debrief serve` supervises: a dead worker, web server or broker is started
again while the rest keeps serving; only a stop signal or a child that keeps
crashing at start ends it."""

import os
import signal
import sys
import time

import pytest

from tests.serving import Served
from webapp.core import embedded_broker
from webapp.core.management.commands import serve

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    served = Served(tmp_path_factory.mktemp("serve") / "data").start()
    yield served
    served.stop()


def test_a_killed_worker_is_replaced_while_the_web_keeps_answering(served):
    worker = served.child("worker")
    worker.send_signal(signal.SIGKILL)
    answers = []
    served.wait_until(lambda: answers.append(served.health().get("database")) or (
        "worker restarted" in served.output() and served.child("worker").pid != worker.pid
    ), 30, "the worker to be restarted")
    assert set(answers) == {"ok"}, "the web server stopped answering while the worker was down"
    assert "worker was killed by SIGKILL" in served.output()
    served.wait_until(lambda: served.health().get("worker") == "ok", 30, "the new worker's heartbeat")


def test_a_killed_web_server_is_replaced(served):
    web = served.child("web")
    web.send_signal(signal.SIGKILL)
    served.wait_until(lambda: "web restarted" in served.output() and served.health().get("database") == "ok", 30, "the web server to be back")
    assert served.child("web").pid != web.pid
    assert "web was killed by SIGKILL" in served.output()


def test_a_killed_broker_is_started_again_with_its_queue(served):
    folder = served.data_dir / "broker"
    pid = embedded_broker.server_pid(folder)
    starts = served.output().count("embedded broker started on")

    os.kill(pid, signal.SIGKILL)
    served.wait_until(lambda: embedded_broker.ping(folder) and embedded_broker.server_pid(folder) != pid, 30, "the broker to be back")
    served.wait_until(lambda: served.health().get("broker") == "ok", 30, "healthz to see the broker")
    # Whoever notices first starts it (serve's supervisor, or a process about to publish: beat),
    # and logs it just after the server answers, so the line may trail the test's own ping.
    restarted = lambda: served.output().count("embedded broker started on") > starts  # noqa: E731
    served.wait_until(restarted, 10, "the restart to be logged")
    assert served.output().count("embedded broker started on") == starts + 1


def test_a_stop_signal_ends_everything_including_the_broker(tmp_path):
    served = Served(tmp_path / "data").start(concurrency=1)
    children = [served.child("web"), served.child("worker")]
    assert served.stop() == 0
    assert not any(child.is_running() and child.status() != "zombie" for child in children)
    assert not embedded_broker.ping(tmp_path / "data" / "broker")


def test_a_child_that_keeps_crashing_at_start_stops_serve_with_the_reason(monkeypatch):
    monkeypatch.setattr(serve, "RESTART_BACKOFF_SECONDS", (0,))
    command = serve.Command()
    command.embedded = False
    child = serve.Child("worker", [sys.executable, "-c", "import sys; sys.exit(3)"])
    child.start()
    reason = None
    deadline = time.monotonic() + 30
    while reason is None and time.monotonic() < deadline:
        reason = command._supervise([child])
        time.sleep(0.05)
    assert reason.startswith(f"worker crashed {serve.MAX_FAST_CRASHES} times in a row within {serve.FAST_CRASH_SECONDS} s")
    assert "exited with status 3" in reason
    assert child.restarts == serve.MAX_FAST_CRASHES - 1


def test_a_child_that_ran_a_while_before_dying_is_restarted_without_counting_as_a_crash_loop(monkeypatch):
    monkeypatch.setattr(serve, "RESTART_BACKOFF_SECONDS", (0,))
    command = serve.Command()
    command.embedded = False
    child = serve.Child("worker", [sys.executable, "-c", "import sys; sys.exit(3)"])
    for _ in range(serve.MAX_FAST_CRASHES * 2):
        child.start()
        child.process.wait()
        child.started_at -= serve.FAST_CRASH_SECONDS  # it had been up longer than that
        assert command._supervise([child]) is None
    assert child.fast_crashes == 1
