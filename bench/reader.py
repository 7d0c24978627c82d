"""Benchmark of `debrief runs summary` against the floor of reading the same run.

    .venv/bin/python bench/reader.py [--size-mb 600] [--snapshots 5000] [--repeat 3]

Builds (once, cached under /tmp/debrief-bench-cache) a large synthetic run from
a bundled 0.1.97 sample: events.jsonl grown to --size-mb, --snapshots snapshot
folders. Then times, as whole processes taken in turn (A B A B ...) so each
ratio is taken in one state of the machine:

- the floor: a streaming line split of every file of the run (4 MiB reads,
  `bytes.split`, no parsing) in a Python process of its own;
- the reader: `debrief runs summary RUN` (start-up, reading, summarising and
  printing the table), whose peak RSS it reports itself (VmHWM).

Prints one table; exits 1 when a target is missed: reader speed >= 1/3 of the
floor's (median ratio) and reader peak RSS < 300 MB."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from _common import LINE_SPLIT_FLOOR, ROOT, cached, machine_note, paired, print_table, spread

SAMPLE = ROOT / "tests/fixtures/massgen-runs/massgen-0.1.97/bloom-filter-3agents-mixed-backends/log_20261124_045036_777916"
TARGET_RATIO = 1 / 3
TARGET_PEAK_RSS_MB = 300
MB = 1024 * 1024
_WRITE_BLOCK = 16 * MB

# `debrief runs summary` as the console script runs it, reporting its own peak
# RSS (VmHWM) on stderr as it exits.
_SUMMARY = """
import runpy, sys
sys.argv = ["debrief", "runs", "summary", sys.argv[1]]
try:
    runpy.run_module("webapp.cli", run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        sys.stderr.write(next(line for line in status if line.startswith("VmHWM:")))
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
    """The sample copied into workdir, grown; (run, events lines, snapshot folders)."""
    run = workdir / SAMPLE.name
    shutil.copytree(SAMPLE, run)
    for folder, _, files in os.walk(run):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    attempt = run / "turn_1" / "attempt_1"
    lines = _grow_events(attempt / "events.jsonl", int(size_mb * MB))
    return run, lines, _add_snapshots(attempt, snapshots)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=600, help="size of the synthetic events.jsonl (default 600)")
    parser.add_argument("--snapshots", type=int, default=5000, help="snapshot folders in the run (default 5000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed pairs (default 3)")
    options = parser.parse_args(argv)

    name = f"reader-{options.size_mb:g}mb-{options.snapshots}"
    run = cached(name, lambda folder: build_run(folder, options.size_mb, options.snapshots)) / SAMPLE.name
    run_mb = sum(path.stat().st_size for path in run.rglob("*") if path.is_file()) / MB
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reader = [sys.executable, "-c", _SUMMARY, str(run)]
    floor = [sys.executable, "-c", LINE_SPLIT_FLOOR, str(run)]
    pairs = paired(reader, floor, options.repeat, env)
    result = subprocess.run(reader, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    peak_mb = int(result.stderr.split()[1]) / 1024
    ratios = [floor_s / reader_s for reader_s, floor_s in pairs]
    ratio = statistics.median(ratios)
    ratio_ok, rss_ok = ratio >= TARGET_RATIO, peak_mb < TARGET_PEAK_RSS_MB
    print_table(
        f"reader: {run_mb:,.0f} MB run ({options.size_mb:g} MB events.jsonl, {options.snapshots:,} snapshot folders), "
        f"{options.repeat} pairs; {machine_note()}",
        [
            ("floor: line split of every file, s", spread([f for _, f in pairs]), "", ""),
            ("`debrief runs summary`, s", spread([r for r, _ in pairs]), "", ""),
            ("`debrief runs summary`, MB/s", spread([run_mb / r for r, _ in pairs], "{:.0f}"), "", ""),
            ("reader speed / floor speed", spread(ratios), f">= {TARGET_RATIO:.2f}", "ok" if ratio_ok else "MISSED"),
            ("reader peak RSS (VmHWM), MB", f"{peak_mb:.1f}", f"< {TARGET_PEAK_RSS_MB}", "ok" if rss_ok else "MISSED"),
        ],
    )
    return 0 if ratio_ok and rss_ok else 1


if __name__ == "__main__":
    sys.exit(main())
