"""What the benchmark scripts share. They run as `python bench/<name>.py`, so
this folder, not the repository, is on sys.path until `configure_django`."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure_django(data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
    """Set Django up on a throwaway data folder (SQLite, storage) so a benchmark
    never touches the developer's database; the caller migrates it if needed."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DEBRIEF_DATA_DIR": str(data_dir),
        "DEBRIEF_STORAGE_DIR": str(data_dir / "storage"),
        "DATABASE_URL": f"sqlite:///{data_dir / 'bench.sqlite3'}",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on right now, for a server the bench starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Where benchmarks keep the synthetic inputs they build, between runs.
CACHE = Path(os.environ.get("DEBRIEF_BENCH_CACHE", "/tmp/debrief-bench-cache"))
_SPLIT_CHUNK = 4 * 1024 * 1024

# The floor of reading a run: every byte of every file read once, in 4 MiB
# chunks, and split into lines (no parsing), in a process of its own. Run as
# `python -c LINE_SPLIT_FLOOR FOLDER`; prints the number of lines.
LINE_SPLIT_FLOOR = f"""
import os, sys
lines = 0
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        with open(os.path.join(folder, name), "rb") as handle:
            pending = []
            while chunk := handle.read({_SPLIT_CHUNK}):
                parts = chunk.split(b"\\n")
                if pending and len(parts) > 1:
                    parts[0] = b"".join(pending) + parts[0]
                    pending.clear()
                pending.append(parts.pop())
                lines += len(parts)
print(lines)
"""


def cached(name: str, build) -> Path:
    """CACHE/name, built by `build(path)` the first time (into a temporary
    name, so an interrupted build is not taken for a finished one)."""
    target = CACHE / name
    if not target.exists():
        partial = CACHE / f".{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        build(partial)
        partial.rename(target)
    return target


def peak_rss_kb() -> int:
    """This process's own peak RSS (VmHWM): ru_maxrss of RUSAGE_CHILDREN would
    report the largest of all children, or a parent's mark carried over a fork."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def whole_process(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds of a command as a whole process (start-up included), and what it printed."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{command[:3]} failed:\n{result.stderr[-2000:]}")
    return seconds, result.stdout


def paired(first: list[str], second: list[str], repeat: int, env: dict[str, str] | None = None) -> list[tuple[float, float]]:
    """`repeat` pairs of whole-process times, the two commands in turn (A B A B),
    so that each ratio is taken while the machine is in the same state."""
    whole_process(first, env)  # warm-up: page cache, imports
    whole_process(second, env)
    return [(whole_process(first, env)[0], whole_process(second, env)[0]) for _ in range(repeat)]


def spread(values: list[float], form: str = "{:.2f}") -> str:
    """min / median / max of a figure over runs."""
    ordered = sorted(values)
    return " / ".join(form.format(value) for value in (ordered[0], statistics.median(ordered), ordered[-1]))


def print_table(title: str, rows: list[tuple[str, str, str, str]]) -> None:
    """One table: what, figure (min / median / max), target, verdict."""
    header = ("measure", "min / median / max", "target", "")
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(4)]
    print(title)
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def machine_note() -> str:
    load = os.getloadavg()[0]
    return f"load average {load:.1f} on {os.cpu_count()} cores" + (" (shared: noisy)" if load > 1.5 else "")


# `make bench` prints one table at the end: each script adds its headline figures to
# the file named by BENCH_SUMMARY (JSON lines), and bench/_table.py prints them.
SUMMARY_ENV = "BENCH_SUMMARY"


def record(bench: str, figure: str, value: float, unit: str, target: str = "", met: bool | None = None) -> None:
    """One headline figure for `make bench`'s table; nothing without BENCH_SUMMARY."""
    path = os.environ.get(SUMMARY_ENV)
    if not path:
        return
    import json

    with open(path, "a", encoding="utf-8") as summary:
        summary.write(json.dumps({"bench": bench, "figure": figure, "value": value, "unit": unit, "target": target, "met": met}) + "\n")
