"""Benchmark of the MassGen run reader against a bare parse of the same files.

    .venv/bin/python bench/reader.py [--size-mb 1024] [--snapshots 5000] [--repeat 2]

Builds a large synthetic run from a bundled 0.1.97 sample (events.jsonl grown
to --size-mb, --snapshots snapshot folders) in a temporary directory, then
times, on warm page cache and keeping the best of --repeat runs:

- the baseline: `open().read()` plus `orjson.loads` of every JSON document the
  reader parses (each line of events.jsonl, status.json, metrics_summary.json,
  coordination_events.json, snapshot_mappings.json);
- the reader: `summarize(read_session(run))`, in a child process so that its
  peak RSS is its own and not the baseline's.

Exits 1 when a target is missed: reader/baseline throughput >= 0.5 and reader
peak RSS < 300 MB."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from _common import ROOT

SAMPLE = ROOT / "tests/fixtures/massgen-runs/massgen-0.1.97/bloom-filter-3agents-mixed-backends/log_20261124_045036_777916"
PARSED_FILES = ("events.jsonl", "status.json", "metrics_summary.json", "coordination_events.json", "snapshot_mappings.json")
TARGET_RATIO = 0.5
TARGET_PEAK_RSS_MB = 300
MB = 1024 * 1024
_WRITE_BLOCK = 16 * MB

# The child reports VmHWM, which starts afresh at exec; ru_maxrss would carry
# over the high-water mark of the parent it was forked from.
_READER = """
import json, resource, sys, time
from pathlib import Path
from analysis.massgen import read_session
from analysis.massgen.summary import summarize
started = time.perf_counter()
summary = summarize(read_session(Path(sys.argv[1])))
seconds = time.perf_counter() - started
attempt = summary["turns"][0]["attempts"][0]
try:
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "seconds": seconds,
    "peak_rss_kb": peak_kb,
    "winner": attempt["winner"],
    "votes": len(attempt["votes"]),
    "answers": sum(agent["answers"] for agent in attempt["agents"]),
    "tool_calls": attempt["tool_calls"],
}))
"""


def _grow_events(path: Path, size_bytes: int) -> int:
    """Repeat the sample's events until the file reaches size_bytes; returns its line count."""
    sample = path.read_bytes()
    block = sample * max(1, _WRITE_BLOCK // len(sample))
    written = 0
    with open(path, "wb") as out:
        while written < size_bytes:
            out.write(block)
            written += len(block)
    return (written // len(block)) * block.count(b"\n")


def _add_snapshots(attempt: Path, total: int) -> int:
    """Copies of the sample's snapshot folders under new timestamped names,
    spread over the agents, until the attempt holds `total`."""
    templates = sorted(folder for folder in attempt.glob("*/20*_*") if folder.is_dir())
    existing = len(templates)
    start = datetime(2026, 11, 24, 6, 0, 0)
    for index in range(max(0, total - existing)):
        template = templates[index % len(templates)]
        name = (start + timedelta(milliseconds=index)).strftime("%Y%m%d_%H%M%S_%f")
        shutil.copytree(template, template.parent / name)
    return max(total, existing)


def build_run(workdir: Path, size_mb: float, snapshots: int) -> tuple[Path, int, int]:
    run = workdir / SAMPLE.name
    shutil.copytree(SAMPLE, run)
    for folder, _, files in os.walk(run):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    attempt = run / "turn_1" / "attempt_1"
    lines = _grow_events(attempt / "events.jsonl", int(size_mb * MB))
    return run, lines, _add_snapshots(attempt, snapshots)


def _parsed_paths(run: Path) -> list[Path]:
    attempt = run / "turn_1" / "attempt_1"
    return [attempt / name for name in PARSED_FILES]


def baseline_seconds(paths: list[Path]) -> float:
    started = time.perf_counter()
    loads = orjson.loads
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        if path.suffix == ".jsonl":
            for line in data.splitlines():
                if line:
                    loads(line)
        else:
            loads(data)
        del data
    return time.perf_counter() - started


def reader_run(run: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", _READER, str(run)], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the reader failed:\n{result.stderr}")
    return json.loads(result.stdout)


def _warm(paths: list[Path]) -> None:
    for path in paths:
        with open(path, "rb") as handle:
            while handle.read(64 * MB):
                pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=1024, help="size of the synthetic events.jsonl (default 1024)")
    parser.add_argument("--snapshots", type=int, default=5000, help="snapshot folders in the run (default 5000)")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each side; the best counts (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic run and print where it is")
    options = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="debrief-bench-"))
    try:
        print(f"building a synthetic run in {workdir} ...", flush=True)
        run, lines, snapshots = build_run(workdir, options.size_mb, options.snapshots)
        paths = _parsed_paths(run)
        parsed_mb = sum(path.stat().st_size for path in paths) / MB
        _warm(paths)
        baseline = min(baseline_seconds(paths) for _ in range(options.repeat))
        readings = [reader_run(run) for _ in range(options.repeat)]
        reader = min(reading["seconds"] for reading in readings)
        peak_mb = max(reading["peak_rss_kb"] for reading in readings) / 1024
        ratio = baseline / reader
        outcome = readings[0]
        print(f"run: events.jsonl {(paths[0].stat().st_size / MB):,.1f} MB ({lines:,} lines), {snapshots:,} snapshot folders")
        print(f"parsed JSON: {parsed_mb:,.1f} MB; reader found winner {outcome['winner']}, {outcome['answers']:,} answers, "
              f"{outcome['votes']} votes, {outcome['tool_calls']:,} tool calls")
        print(f"baseline  open().read() + orjson.loads   {baseline:7.2f} s  {parsed_mb / baseline:8.1f} MB/s")
        print(f"reader    summarize(read_session(run))   {reader:7.2f} s  {parsed_mb / reader:8.1f} MB/s")
        ratio_ok = ratio >= TARGET_RATIO
        rss_ok = peak_mb < TARGET_PEAK_RSS_MB
        print(f"ratio reader/baseline: {ratio:.2f} (target >= {TARGET_RATIO}) {'PASS' if ratio_ok else 'FAIL'}")
        print(f"reader peak RSS: {peak_mb:.1f} MB (target < {TARGET_PEAK_RSS_MB} MB) {'PASS' if rss_ok else 'FAIL'}")
        return 0 if ratio_ok and rss_ok else 1
    finally:
        if options.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
