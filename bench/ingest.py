"""Ingest and run-page benchmark, in a throwaway data folder (SQLite, storage).

1. Ingest against its floor, for each --size-mb (default 217 and 1024): a
   sample run scaled up with a big events.jsonl and many snapshot folders,
   zipped without compression (built once, cached under /tmp/debrief-bench-cache).
   The upload goes through the real upload handler (streamed from disk); the
   ingest runs in a child process, as on a worker, which reports its own peak
   RSS (VmHWM). The floor is a process that extracts the same archive and reads
   every byte once; the two run in turn, --repeat times.
2. Server time of the runs list (`/runs/`) with 10,000 runs, p50/p95.
3. Server time of a run page (`/runs/<id>/`) with 5,000 timeline events,
   p50/p95; "n/a" while no view is routed there.

Targets: ingest <= 3x its floor, peak RSS < 400 MB whatever the size; list < 100 ms
p95; run page < 250 ms p95.

    .venv/bin/python bench/ingest.py [--size-mb 217 1024] [--repeat 3] [--ingest-only] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import CACHE, ROOT, configure_django, machine_note, print_table, spread, peak_rss_kb, whole_process

SAMPLE = next((ROOT / "tests/fixtures/massgen-runs/massgen-0.1.97/tcp-udp-2agents-basic").glob("log_*[0-9]"))
LIST_RUNS = 10_000
PAGE_EVENTS = 5_000
WARMUP_REQUESTS = 5
TIMED_REQUESTS = 50
SNAPSHOTS_PER_AGENT = 600
SNAPSHOT_FILE_BYTES = 40_000
EVENT_LINE_CHARS = 600
TARGETS = {"floor_ratio": 3.0, "peak_rss_mb": 400, "list_p95_ms": 100, "page_p95_ms": 250}
# The floor of an ingest: the archive extracted and every extracted byte read
# once, in a process of its own. `python -c INGEST_FLOOR ARCHIVE SCRATCH`.
INGEST_FLOOR = """
import os, shutil, sys, tempfile, zipfile
scratch = tempfile.mkdtemp(dir=sys.argv[2])
try:
    with zipfile.ZipFile(sys.argv[1]) as archive:
        archive.extractall(scratch)
    for folder, _, names in os.walk(scratch):
        for name in names:
            with open(os.path.join(folder, name), "rb") as handle:
                while handle.read(4 << 20):
                    pass
finally:
    shutil.rmtree(scratch)
"""


def build_session(dest: Path, size_bytes: int) -> Path:
    """The sample run, grown to about `size_bytes`: streamed thinking/text
    events in events.jsonl and many snapshot folders per agent."""
    session = dest / SAMPLE.name
    shutil.copytree(SAMPLE, session)
    attempt = session / "turn_1" / "attempt_1"
    agents = sorted(path.name for path in attempt.iterdir() if path.is_dir() and path.name not in ("final", "agent_outputs"))
    filler = ("Considering the trade-offs between reliability and latency; " * 40)[:SNAPSHOT_FILE_BYTES]
    start = datetime(2026, 11, 24, 4, 50, 19)
    for agent in agents:
        for index in range(SNAPSHOTS_PER_AGENT):
            folder = attempt / agent / (start + timedelta(milliseconds=index * 7)).strftime("%Y%m%d_%H%M%S_%f")
            folder.mkdir(exist_ok=True)
            (folder / "execution_trace.md").write_text(f"# trace {index}\n" + filler)
            (folder / "context.txt").write_text(f"context {index}\n" + filler)
    events = attempt / "events.jsonl"
    original = events.read_text().splitlines(keepends=True)
    used = sum(path.stat().st_size for path in session.rglob("*") if path.is_file())
    lines_needed = max(0, (size_bytes - used) // (EVENT_LINE_CHARS + 120))
    text = ("streamed tokens of the agent's reasoning, " * 20)[:EVENT_LINE_CHARS]
    with open(events, "w") as out:
        out.writelines(original[: len(original) // 2])
        for index in range(lines_needed):
            moment = (start + timedelta(microseconds=index * 50)).isoformat()
            kind = "thinking" if index % 3 else "text"
            out.write(json.dumps({"timestamp": moment, "event_type": kind, "agent_id": agents[index % len(agents)], "round_number": 1, "data": {"content": text}}) + "\n")
        out.writelines(original[len(original) // 2:])
    return session


def build_archive(work: Path, size_mb: int) -> Path:
    session = build_session(work / "source", size_mb * 1024 * 1024)
    archive = work / f"{session.name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
        for path in sorted(session.rglob("*")):
            if path.is_file():
                bundle.write(path, f"{session.name}/{path.relative_to(session).as_posix()}")
    shutil.rmtree(work / "source")
    return archive


def upload(team, user, archive: Path):
    """POST the archive as multipart, streamed from a file, through the real handler."""
    from django.core.handlers.wsgi import WSGIRequest

    from webapp.runs.services import do_create_run_from_upload
    from webapp.runs.uploads import received_files

    boundary = "debriefbenchboundary"
    body = archive.with_suffix(".body")
    with open(body, "wb") as out, open(archive, "rb") as source:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{archive.name}"\r\n'
                  "Content-Type: application/zip\r\n\r\n".encode())
        shutil.copyfileobj(source, out, 1024 * 1024)
        out.write(f"\r\n--{boundary}--\r\n".encode())
    with open(body, "rb") as stream:
        request = WSGIRequest({
            "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/runs", "SERVER_NAME": "testserver", "SERVER_PORT": "80",
            "wsgi.input": stream, "wsgi.url_scheme": "http", "CONTENT_LENGTH": str(body.stat().st_size),
            "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
        })
        run, _ = do_create_run_from_upload(team, user, received_files(request, "file"))
    body.unlink()
    return run


def ingest_in_child(run_id) -> tuple[float, float, float]:
    """Seconds of `ingest_run` in a worker-like process that has started, seconds
    of that whole process (Django's start-up included), and its peak RSS in MB
    (its own VmHWM)."""
    seconds, printed = whole_process([sys.executable, __file__, "--ingest-run", str(run_id)], dict(os.environ))
    report = json.loads(printed.strip().splitlines()[-1])
    assert report["status"] == "ready", report
    return report["seconds"], seconds, report["peak_rss_kb"] / 1024


def cached_archive(size_mb: int) -> Path:
    archive = CACHE / f"ingest-{size_mb}mb.zip"
    if not archive.exists():
        work = CACHE / f".ingest-{size_mb}mb"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        built = build_archive(work, size_mb)
        built.rename(archive)
        shutil.rmtree(work)
    return archive


def ingest_tables(sizes: list[int], repeat: int, work: Path) -> None:
    """Upload and ingest each archive `repeat` times (a new team each time, so
    the bytes are new to it), each ingest paired with a run of the floor."""
    from webapp.teams.services import do_create_user

    for size_mb in sizes:
        archive = cached_archive(size_mb)
        unpacked = sum(info.file_size for info in zipfile.ZipFile(archive).infolist()) / 1e6
        floor = [sys.executable, "-c", INGEST_FLOOR, str(archive), str(work)]
        whole_process(floor)  # warm-up: the archive in the page cache
        uploads, ingests, processes, floors, peaks = [], [], [], [], []
        for index in range(repeat):
            user, _, _ = do_create_user(f"bench-{size_mb}-{index}", f"bench-{size_mb}-{index}", role="owner", password="bench-password-1")
            started = time.perf_counter()
            run = upload(user.memberships.get().team, user, archive)
            uploads.append(time.perf_counter() - started)
            seconds, process, peak = ingest_in_child(run.pk)
            ingests.append(seconds)
            processes.append(process)
            peaks.append(peak)
            floors.append(whole_process(floor)[0])
        ratios = [ingest / floor for ingest, floor in zip(ingests, floors)]
        label = f"{archive.stat().st_size / 1e6:,.0f} MB archive ({unpacked:,.0f} MB of files)"
        ratio_ok = statistics.median(ratios) <= TARGETS["floor_ratio"]
        rss_ok = max(peaks) < TARGETS["peak_rss_mb"]
        rows = [
            (f"{label}: upload, s", spread(uploads), "", ""),
            (f"{label}: floor (extract + read), s", spread(floors), "", ""),
            (f"{label}: ingest_run in a started worker, s", spread(ingests), "", ""),
            (f"{label}: the worker process as a whole, s", spread(processes), "", ""),
            (f"{label}: ingest / floor", spread(ratios), f"<= {TARGETS['floor_ratio']:g}", "ok" if ratio_ok else "MISSED"),
            (f"{label}: worker process as a whole / floor", spread([p / f for p, f in zip(processes, floors)]), "", ""),
            (f"{label}: ingest peak RSS (VmHWM), MB", spread(peaks, "{:.0f}"), f"< {TARGETS['peak_rss_mb']}", "ok" if rss_ok else "MISSED"),
        ]
        print_table(f"ingest, {repeat} runs; {machine_note()}", rows)
        print(flush=True)


def timed(client, url: str) -> tuple[float, float] | str:
    from django.urls import Resolver404, resolve

    try:
        resolve(url.split("?")[0])
    except Resolver404:
        return "n/a"
    for _ in range(WARMUP_REQUESTS):
        response = client.get(url)
        if response.status_code != 200:
            return f"n/a (HTTP {response.status_code})"
    samples = []
    for _ in range(TIMED_REQUESTS):
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(samples, n=20)
    return statistics.median(samples), cuts[18]


def many_runs(team) -> None:
    from webapp.runs.models import Run

    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    models = ["gpt-5-mini,claude-sonnet-4-5", "gemini-2.5-flash,gpt-5-mini", "claude-sonnet-4-5"]
    Run.objects.bulk_create(
        [
            Run(
                team=team, source="upload", original_name=f"log_{i}.zip", sha256=f"{i:064x}", status="ready" if i % 10 else "failed",
                question=f"Question number {i} about protocols, databases and filters?", started_at=base + timedelta(minutes=i),
                duration_seconds=30 + i % 300, winner="gpt-5-mini", finish_reason="completed", agent_count=2 + i % 2,
                models=models[i % 3], input_tokens=10_000 + i, output_tokens=1_000 + i, cost_usd=(i % 97) / 100,
                summary={"format_version": 1, "turns": []},
            )
            for i in range(LIST_RUNS)
        ],
        batch_size=1000,
    )


def run_with_events(team):
    from webapp.runs.models import AgentRow, AnswerRow, Attempt, EventRow, RoundRow, Run, VoteRow

    base = datetime(2026, 11, 24, 4, 50, tzinfo=timezone.utc)
    run = Run.objects.create(team=team, source="upload", original_name="events.zip", sha256="e" * 64, status="ready",
                             question="Which protocol?", started_at=base, duration_seconds=600, agent_count=3)
    attempt = Attempt.objects.create(run=run, turn=1, attempt=1, accepted=True, complete=True, finish_reason="completed",
                                     started_at=base, duration_seconds=600, winner="agent_a", totals={"input_tokens": 1})
    rows = dict(run=run, attempt=attempt)
    agents = ["agent_a", "agent_b", "agent_c"]
    AgentRow.objects.bulk_create(AgentRow(**rows, position=i, agent=a, model="gpt-5-mini", input_tokens=1000) for i, a in enumerate(agents))
    AnswerRow.objects.bulk_create(AnswerRow(**rows, position=i, label=f"agent{i % 3 + 1}.{i // 3 + 1}", agent=agents[i % 3],
                                            at=base + timedelta(seconds=i * 10), round=i // 3, preview="An answer.") for i in range(30))
    VoteRow.objects.bulk_create(VoteRow(**rows, position=i, voter=agents[i % 3], voted_for="agent_a", label="agent1.1",
                                        reason="Clearer.", at=base + timedelta(seconds=5 + i * 10), round=i // 3) for i in range(30))
    RoundRow.objects.bulk_create(RoundRow(**rows, position=i, agent=agents[i % 3], number=i // 3, type="voting", outcome="vote",
                                          input_tokens=100, output_tokens=10, cost_usd=0.001) for i in range(60))
    kinds = ["answer", "vote", "restart", "error", "vote_ignored"]
    EventRow.objects.bulk_create(
        [EventRow(**rows, position=i, at=base + timedelta(milliseconds=i * 100), kind=kinds[i % 5], agent=agents[i % 3],
                  label="agent1.1", details=f"event {i}") for i in range(PAGE_EVENTS)],
        batch_size=1000,
    )
    return run


def report(name: str, value, unit: str, target: float) -> None:
    if isinstance(value, str):
        print(f"{name:<34} {value}")
        return
    verdict = "ok" if value < target else "OVER TARGET"
    print(f"{name:<34} {value:8.1f} {unit:<3} (target < {target} {unit}: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, nargs="+", default=[217, 1024], help="archive sizes (default 217 1024)")
    parser.add_argument("--repeat", type=int, default=3, help="ingests of each size, each paired with the floor (default 3)")
    parser.add_argument("--ingest-only", action="store_true", help="skip the runs-list and run-page timings")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway data folder")
    parser.add_argument("--ingest-run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest_run:
        return ingest_child(args.ingest_run)

    work = Path(tempfile.mkdtemp(prefix="debrief-bench-"))
    try:
        # The 1 GB archive goes through the same upload handler, above the default limit.
        configure_django(work, {"DEBRIEF_MAX_UPLOAD_BYTES": str(4 * 1024**3)})
        from django.core.management import call_command
        from django.test import Client

        from webapp.teams.services import do_create_user

        call_command("migrate", verbosity=0)
        user, _, _ = do_create_user("bench", "bench", role="owner", password="bench-password-1")
        team = user.memberships.get().team

        ingest_tables(args.size_mb, args.repeat, work)
        if args.ingest_only:
            return
        many_runs(team)
        page_run = run_with_events(team)
        client = Client()
        client.force_login(user)
        for name, url, target in (
            (f"runs list, {LIST_RUNS:,} runs", "/runs/", TARGETS["list_p95_ms"]),
            ("runs list, search q=", "/runs/?q=number+99", TARGETS["list_p95_ms"]),
            (f"run page, {PAGE_EVENTS:,} events", f"/runs/{page_run.pk}/", TARGETS["page_p95_ms"]),
        ):
            result = timed(client, url)
            if isinstance(result, str):
                report(name, result, "ms", target)
            else:
                print(f"{name:<34} p50 {result[0]:6.1f} ms")
                report(f"{name} p95", result[1], "ms", target)
    finally:
        stop_embedded_broker()
        if args.keep:
            print(f"data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def stop_embedded_broker() -> None:
    """The upload queues an ingest task, which starts the embedded broker (a
    detached redis-server) in the throwaway data folder: stop it, or it
    outlives the bench and the folder it served."""
    from django.conf import settings

    if settings.configured and settings.EMBEDDED_BROKER:
        from webapp.core.embedded_broker import shutdown

        shutdown(settings.BROKER_DIR)


def ingest_child(run_id: str) -> None:
    configure_django(Path(os.environ["DEBRIEF_DATA_DIR"]))
    from webapp.runs.ingest import ingest_run

    started = time.perf_counter()
    run = ingest_run(run_id)
    seconds = time.perf_counter() - started
    print(json.dumps({"status": run.status, "error": run.error, "seconds": seconds, "peak_rss_kb": peak_rss_kb()}))


if __name__ == "__main__":
    main()
