"""`debrief serve`: the web server and a Celery worker (with beat) as one process
tree. Ctrl-C or SIGTERM stops both; if either dies the other is stopped too, so a
half-running service never hides behind a live terminal."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

STOP_GRACE_SECONDS = 10
POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Run the web server and a Celery worker (with beat) together."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=2, help="worker processes")

    def handle(self, host, port, concurrency, **options):
        queues = ",".join(settings.CELERY_TASK_QUEUES_NAMES)
        commands = {
            "web": [sys.executable, "-m", "webapp.cli", "runserver", f"{host}:{port}", "--noreload"],
            "worker": [
                sys.executable, "-m", "celery", "-A", "webapp", "worker", "--beat",
                "--loglevel", "INFO", "--queues", queues, "--concurrency", str(concurrency),
                "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        children = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.stdout.write(f"Debrief is running on http://{host}:{port}/ (Ctrl-C stops web and worker)")
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with status {child.returncode}; stopping the rest.")
                    exit_code = child.returncode or 1
                    stopping = True
            time.sleep(POLL_SECONDS)
        _stop_all(children.values())
        if exit_code:
            sys.exit(exit_code)


def _stop_all(children) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
