"""Pages under concurrency, through a real WSGI server.

gunicorn (2 sync workers, as few as this 2-core machine runs well) serves
`webapp.wsgi` on PostgreSQL, in a throwaway database; a bounded loopback load
generator (threads, one request at a time each, a new connection per request as
gunicorn's sync workers close them) asks for each page at concurrency 1, 8 and 32
and times every response on the client, p50/p95 over a fixed number of requests.

Pages, for one team of `--runs` runs (default 10k):
  runs list          /runs/
  search             /runs/?q=<a word ~1 % of questions hold>
  deep page          /runs/?page=150 (a typed URL: OFFSET)
  deep page, pager   page 150 as the pager's Next link gives it (a keyset cursor)
  run page           /runs/<id>/ of a run with 5,000 timeline events and 2,500 votes
  cost preview       the Analyse panel's estimate partial for a stored sample run, cached
and search at `--search-runs` runs (default 100k) in a second team, at concurrency 1 and 8.

Besides the client's times, the web workers' CPU time per request (/proc), which
other load on a shared machine barely moves.

Targets (issue #15): runs list and search p95 < 100 ms at c=8; search p50 < 50 ms at
100k runs; run page p95 < 250 ms at c=8; cached preview p95 < 50 ms.

    .venv/bin/python bench/pages.py [--runs 10000] [--search-runs 100000] [--database-url postgres://postgres@127.0.0.1:5432/postgres]

The machine may be shared: figures are the client's wall clock, other load included.
"""

from __future__ import annotations

import argparse
import html
import http.client
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from _common import ROOT, configure_django, free_port, record

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
WORKERS = 2
CONCURRENCY = (1, 8, 32)
# Requests per page and concurrency: enough for a p95, bounded so the bench ends.
REQUESTS = {1: 60, 8: 160, 32: 320}
SEARCH_AT_SCALE_CONCURRENCY = (1, 8)
TIMELINE_EVENTS = 5_000
VOTES = 2_500
REQUEST_TIMEOUT_SECONDS = 60
SERVER_READY_TIMEOUT_SECONDS = 120
TARGETS_MS = {  # (page, concurrency, statistic): bound
    ("runs list", 8, "p95"): 100,
    ("search", 8, "p95"): 100,
    ("run page", 8, "p95"): 250,
    ("cost preview (cached)", 8, "p95"): 50,
    ("search, 100k runs", 1, "p50"): 50,
}
SEARCH_WORD = "kubernetes"  # in ~1 % of the questions
TOPICS = ("postgres", "redis", "tcp", "udp", "graphql", "grpc", "kafka", "sqlite", "nginx", "django") + tuple(
    f"topic{i}" for i in range(89)
) + (SEARCH_WORD,)
VERBS = ("compare", "tune", "replace", "secure", "scale", "debug", "monitor", "migrate")
MODELS = ("gpt-5-mini", "gpt-5-mini,claude-sonnet-4-5", "gemini-2.5-flash,gpt-5", "gpt-4.1")
SAMPLE_RUN = next((ROOT / "tests/fixtures/massgen-runs/massgen-0.1.97/postgres-sqlite-2agents-long-answer").glob("log_*[0-9]"))
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- the database --------------------------------------------------------------------


def bench_database(admin_url: str) -> tuple[str, str]:
    """A new database beside `admin_url`'s, and its URL."""
    import psycopg

    name = f"debrief_bench_http_{os.getpid()}"
    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(admin_url)
    return name, urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def seed_runs(team, user, count: int, prefix: str) -> None:
    from webapp.runs.models import Run

    rng = random.Random(count)
    batch = []
    for i in range(count):
        topic = TOPICS[i % len(TOPICS)]
        batch.append(Run(
            team=team, created_by=user, source="upload", sha256=f"{prefix}{i:060d}", status="ready",
            original_name=f"log_{i:08d}.zip", question=f"How should we {rng.choice(VERBS)} {topic} for service {i}?",
            started_at=T0 + timedelta(minutes=i), duration_seconds=rng.uniform(10, 900), models=MODELS[i % len(MODELS)],
            cost_usd=rng.uniform(0, 2), input_tokens=rng.randint(1_000, 900_000), output_tokens=rng.randint(100, 50_000),
            agent_count=2, turn_count=1, storage_path="",
        ))
        if len(batch) == 5_000:
            Run.objects.bulk_create(batch)
            batch = []
    Run.objects.bulk_create(batch)


def seed_big_run(team, user):
    """A ready run whose accepted attempt has TIMELINE_EVENTS events and VOTES votes."""
    from webapp.runs.models import AgentRow, AnswerRow, Attempt, EventRow, RoundRow, Run, VoteRow

    run = Run.objects.create(
        team=team, created_by=user, source="upload", sha256="b" * 64, status="ready", question="A long run: which protocol?",
        started_at=T0, duration_seconds=3600, winner="agent_a", models="gpt-5-mini", agent_count=2, turn_count=1,
    )
    attempt = Attempt.objects.create(
        run=run, turn=1, attempt=1, accepted=True, complete=True, finish_reason="completed", question=run.question,
        started_at=T0, duration_seconds=3600, winner="agent_a", final_answer_preview="TCP.", final_answer_chars=4,
        totals={"input_tokens": 1000, "output_tokens": 100, "cost_usd": 0.01}, tool_calls=0,
    )
    rows = {"run": run, "attempt": attempt}
    for i, agent in enumerate(("agent_a", "agent_b")):
        AgentRow.objects.create(**rows, position=i, agent=agent, backend="openai", model="gpt-5-mini", answers=50, votes_cast=1250)
        RoundRow.objects.bulk_create(
            RoundRow(**rows, position=i * 100 + r, agent=agent, number=r, type="voting", outcome="vote", input_tokens=500,
                     started_at=T0 + timedelta(seconds=r * 30), ended_at=T0 + timedelta(seconds=r * 30 + 20))
            for r in range(100)
        )
    AnswerRow.objects.bulk_create(
        AnswerRow(**rows, position=i, label=f"agent{i % 2 + 1}.{i // 2 + 1}", agent=("agent_a", "agent_b")[i % 2],
                  at=T0 + timedelta(seconds=i * 36), round=i // 2 + 1, preview="An answer. " * 20, size=200)
        for i in range(100)
    )
    VoteRow.objects.bulk_create(
        VoteRow(**rows, position=i, voter=("agent_a", "agent_b")[i % 2], voted_for="agent_a", label="agent1.1",
                reason="Clearer and complete.", at=T0 + timedelta(seconds=i * 1.4), round=i // 25 + 1)
        for i in range(VOTES)
    )
    kinds = ("vote", "answer", "vote", "restart", "vote", "error")
    EventRow.objects.bulk_create(
        EventRow(**rows, position=i, at=T0 + timedelta(seconds=i * 0.7), kind=kinds[i % len(kinds)],
                 agent=("agent_a", "agent_b")[i % 2], label="agent1.1", details=f"event {i}")
        for i in range(TIMELINE_EVENTS)
    )
    return run


def seed(runs: int, search_runs: int, storage: Path) -> dict:
    from django.conf import settings
    from django.test import Client

    from webapp.runs.models import Run
    from webapp.teams.services import do_create_user

    cookies, ids = {}, {}
    for name, count in (("small", runs), ("large", search_runs)):
        user, _, _ = do_create_user(f"bench-{name}", f"bench-{name}", role="owner", password="bench-password-1")
        team = user.memberships.get().team
        started = time.perf_counter()
        seed_runs(team, user, count, name[0])
        print(f"  seeded {count:,} runs for team {name} in {time.perf_counter() - started:.1f} s", flush=True)
        client = Client()
        client.force_login(user)
        cookies[name] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        if name == "small":
            ids["big"] = seed_big_run(team, user).pk
            folder = storage / "sample" / SAMPLE_RUN.name
            shutil.copytree(SAMPLE_RUN, folder)
            ids["sample"] = Run.objects.create(
                team=team, created_by=user, source="folder", sha256="s" * 64, status="ready",
                storage_path=str(folder.relative_to(storage)), question="The sample run",
            ).pk
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"cookies": cookies, **ids}


# --- the server and the load ----------------------------------------------------------


def start_gunicorn(port: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "webapp.wsgi:application", "--workers", str(WORKERS),
         "--bind", f"127.0.0.1:{port}", "--timeout", "120"],
        cwd=ROOT, env=dict(os.environ), stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + SERVER_READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited at start:\n{log.read_text(errors='replace')}")
        try:
            get(port, "/healthz", "")
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer within {SERVER_READY_TIMEOUT_SECONDS} s")


def get(port: int, path: str, cookie: str, htmx: bool = False) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        if htmx:
            headers["HX-Request"] = "true"
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def next_link(port: int, path: str, cookie: str) -> str:
    """The pager's Next link on `path` (for page 150: a keyset cursor, as a user clicking on gets)."""
    status, body = get(port, path, cookie)
    match = re.search(rb'rel="next" href="(\?[^"]+)"', body)
    if status != 200 or match is None:
        raise SystemExit(f"no Next link on {path} (HTTP {status})")
    return "/runs/" + html.unescape(match.group(1).decode())


def workers_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) the server's worker processes have used so far: per
    request, a figure other load on a shared machine barely moves (the database's
    own processes are not counted)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def load(port: int, path: str, cookie: str, concurrency: int, requests: int, htmx: bool = False) -> list[float]:
    """`requests` GETs of `path`, `concurrency` at a time; each one's milliseconds."""
    timings: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    remaining = iter(range(requests))

    def worker() -> None:
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            started = time.perf_counter()
            status, body = get(port, path, cookie, htmx)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.append(elapsed)
                if status != 200:
                    failures.append(f"{status}: {body[:300]!r}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{path}: {len(failures)} failed responses, e.g. {failures[0]}")
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--search-runs", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--keep", action="store_true", help="keep the data folder and database")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="debrief-bench-http-"))
    name, url = bench_database(args.database_url)
    server = None
    try:
        for variable in ("DEBRIEF_ANALYSIS_MODEL", "DEBRIEF_MODELS_FILE", "DEBRIEF_MODEL_ALLOWLIST", "CACHE_URL"):
            os.environ.pop(variable, None)
        configure_django(data_dir, {"DATABASE_URL": url, "OPENAI_API_KEY": "sk-bench"})
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        storage = data_dir / "storage"
        storage.mkdir(exist_ok=True)
        print(f"Seeding PostgreSQL database {name}:", flush=True)
        seeded = seed(args.runs, args.search_runs, storage)
        port = free_port()
        server = start_gunicorn(port, data_dir / "gunicorn.log")
        small, large = seeded["cookies"]["small"], seeded["cookies"]["large"]
        preview = f"/runs/{seeded['sample']}/estimate?" + urlencode({"model": "gpt-5-mini", "compression": "auto"})
        pager_link = next_link(port, "/runs/?page=149", small)
        pages = [
            ("runs list", "/runs/", small, False, CONCURRENCY),
            ("search", "/runs/?" + urlencode({"q": SEARCH_WORD}), small, False, CONCURRENCY),
            ("deep page", "/runs/?page=150", small, False, CONCURRENCY),
            ("deep page, pager", pager_link, small, False, CONCURRENCY),
            ("run page", f"/runs/{seeded['big']}/", small, False, CONCURRENCY),
            ("cost preview (cached)", preview, small, True, CONCURRENCY),
            (f"search, {args.search_runs // 1000}k runs", "/runs/?" + urlencode({"q": SEARCH_WORD}), large, False,
             SEARCH_AT_SCALE_CONCURRENCY),
        ]
        results = {}
        print(f"\nHTTP, gunicorn {WORKERS} workers, PostgreSQL, {args.runs:,} runs; client-timed ms:")
        # cpu/req: the web workers' CPU per request; client: this load generator's own
        # (it shares the machine's cores with the server and the database).
        print(f"  {'page':<24} {'c':>3} {'n':>4} {'p50':>8} {'p95':>8} {'max':>8} {'cpu/req':>8} {'client':>7}")
        for label, path, cookie, htmx, levels in pages:
            for _ in range(2):  # warm: each worker's first request (imports, caches)
                load(port, path, cookie, WORKERS, WORKERS, htmx)
            for concurrency in levels:
                cpu_before, client_before = workers_cpu_seconds(server), time.process_time()
                timings = load(port, path, cookie, concurrency, REQUESTS[concurrency], htmx)
                cpu_ms = (workers_cpu_seconds(server) - cpu_before) * 1000 / len(timings)
                client_ms = (time.process_time() - client_before) * 1000 / len(timings)
                figures = {"p50": statistics.median(timings), "p95": percentile(timings, 0.95), "max": max(timings), "cpu": cpu_ms,
                           "client": client_ms}
                results[(label, concurrency)] = figures
                print(f"  {label:<24} {concurrency:>3} {len(timings):>4} {figures['p50']:8.1f} {figures['p95']:8.1f} "
                      f"{figures['max']:8.1f} {cpu_ms:8.1f} {client_ms:7.1f}", flush=True)
        met = True
        print("\nTargets:")
        for (label, concurrency, statistic), bound in TARGETS_MS.items():
            label = label.replace("100k", f"{args.search_runs // 1000}k")
            value = results[(label, concurrency)][statistic]
            ok = value < bound
            met &= ok
            record("pages", f"{label} {statistic}, c={concurrency}", value, "ms", f"< {bound}", ok)
            record("pages", f"{label}, web CPU per request", results[(label, concurrency)]["cpu"], "ms")
            print(f"  {label} {statistic} at c={concurrency}: {value:.1f} ms < {bound} ms {'met' if ok else 'NOT MET'}")
        return 0 if met else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if args.keep:
            print(f"Kept {data_dir} and database {name}")
        else:
            from django.db import connections

            connections.close_all()
            drop_database(args.database_url, name)
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
