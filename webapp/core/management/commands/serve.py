"""`debrief serve`: the web server, two Celery workers — `worker` for ingests
(with beat) and `analysis-worker` for analyses and answers, so a provider that
hangs never holds up an upload — and on the embedded default the broker,
supervised as one service.

A child that dies is started again after a backoff, and the reason is logged,
while the others keep serving: a crashed worker must not take the web pages down.
Only Ctrl-C / SIGTERM, or a child that keeps crashing right after its start
(a broken configuration rather than bad luck), stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from webapp.core import embedded_broker, leases

STOP_GRACE_SECONDS = 10
POLL_SECONDS = 0.5
# A child that ran at least this long before dying was not crashing at start.
FAST_CRASH_SECONDS = 30
# This many fast crashes in a row: give up, the configuration is broken.
MAX_FAST_CRASHES = 5
RESTART_BACKOFF_SECONDS = (1, 2, 4, 8, 16)


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    fast_crashes: int = 0
    restart_at: float | None = None
    restarts: int = 0

    def start(self) -> None:
        # Its own session: Ctrl-C reaches only `serve`, which stops the children in
        # order; and a stop or a kill reaches the worker's pool processes too.
        self.process = subprocess.Popen(self.argv, start_new_session=True)
        self.started_at = time.monotonic()
        self.restart_at = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exited(self) -> bool:
        return self.process is not None and self.restart_at is None and self.process.poll() is not None

    def signal_group(self, signum: int) -> None:
        # The group outlives its leader: a killed worker's pool processes stay in it.
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signum)
            except (ProcessLookupError, PermissionError):
                pass


class Command(BaseCommand):
    help = "Run the web server and the Celery workers (ingest with beat, analysis) together, restarting any that dies."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=2, help="processes of each worker")

    def handle(self, host, port, concurrency, **options):
        self.embedded = settings.EMBEDDED_BROKER
        if self.embedded:
            self._ensure_broker(initial=True)
        children = [
            Child("web", [sys.executable, "-m", "webapp.cli", "runserver", f"{host}:{port}", "--noreload"]),
            _worker("worker", settings.INGEST_QUEUES, concurrency, "--beat", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME),
            _worker("analysis-worker", settings.ANALYSIS_QUEUES, concurrency),
        ]
        self.children = children
        for child in children:
            self._start(child)
        self.stdout.write(f"Debrief is running on http://{host}:{port}/ (Ctrl-C stops it)", ending="\n")
        self.stdout.flush()

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        gave_up = None
        try:
            while not stopping and gave_up is None:
                if self.embedded:
                    self._ensure_broker()
                gave_up = self._supervise(children)
                time.sleep(POLL_SECONDS)
        finally:
            _stop_all(children)
            if self.embedded:
                embedded_broker.shutdown(settings.BROKER_DIR)
        if gave_up:
            raise CommandError(gave_up)

    def _supervise(self, children: list[Child]) -> str | None:
        now = time.monotonic()
        for child in children:
            if child.exited():
                uptime = now - child.started_at
                child.signal_group(signal.SIGKILL)  # what the dead leader left running
                child.fast_crashes = child.fast_crashes + 1 if uptime < FAST_CRASH_SECONDS else 1
                if child.fast_crashes >= MAX_FAST_CRASHES:
                    return (
                        f"{child.name} crashed {child.fast_crashes} times in a row within {FAST_CRASH_SECONDS} s of starting "
                        f"(last: {_exit_reason(child.process.returncode)}); stopping. Its output above says why."
                    )
                delay = RESTART_BACKOFF_SECONDS[min(child.fast_crashes, len(RESTART_BACKOFF_SECONDS)) - 1]
                child.restart_at = now + delay
                self._log(f"{child.name} {_exit_reason(child.process.returncode)} after {uptime:.0f} s; restarting it in {delay} s.")
            elif child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._start(child)
                self._log(f"{child.name} restarted (restart {child.restarts}, pid {child.process.pid}).")
        return None

    def _start(self, child: Child) -> None:
        if child.name in WORKERS and self.embedded:
            self._hand_back(alone=not any(
                other.running() for other in self.children if other is not child and other.name in WORKERS
            ))
        child.start()

    def _hand_back(self, *, alone: bool) -> None:
        """Serve's workers are the embedded broker's only consumers, so whatever is
        still unacknowledged belonged to a worker that died (or to the other, live
        one: a second delivery of its task finds the row claimed and comes back
        later). Hand it back now instead of after the visibility timeout. Claims are
        expired only when no worker is running; otherwise the live worker keeps
        renewing its own and the dead one's lapse within a lease (a minute)."""
        restored = embedded_broker.restore_unacked(settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS)
        if restored:
            self._log(f"{restored} task(s) a stopped worker had taken were put back on their queues.")
        if not alone:
            return
        released = {kind: count for kind, count in leases.release_orphaned_claims().items() if count}
        if released:
            held = ", ".join(f"{count} {kind}" for kind, count in released.items())
            self._log(f"waiting work ({held}) was sent again, and what a stopped worker held is taken again now, not when its lease runs out.")

    def _ensure_broker(self, initial: bool = False) -> None:
        try:
            started = embedded_broker.ensure_running(settings.BROKER_DIR)
        except embedded_broker.BrokerStartError as exc:
            if initial:
                raise CommandError(f"The embedded broker did not start: {exc}") from None
            self._log(f"the embedded broker is down and did not restart: {exc}; trying again.")
            return
        if started and not initial:
            self._log("the embedded broker had stopped; started it again (queued tasks are kept in its append-only file).")

    def _log(self, message: str) -> None:
        self.stderr.write(f"[serve {time.strftime('%H:%M:%S')}] {message}")
        self.stderr.flush()


WORKERS = ("worker", "analysis-worker")


def _worker(name: str, queues: tuple[str, ...], concurrency: int, *extra: str) -> Child:
    return Child(name, [
        sys.executable, "-m", "celery", "-A", "webapp", "worker", f"--hostname={name}@%h",
        "--loglevel", "INFO", "--queues", ",".join(queues), "--concurrency", str(concurrency), *extra,
    ])


def _exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def _stop_all(children: list[Child]) -> None:
    for child in children:
        child.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        if child.process is None:
            continue
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.signal_group(signal.SIGKILL)
            child.process.wait()
