"""What the benchmark scripts share. They run as `python bench/<name>.py`, so
this folder, not the repository, is on sys.path until `configure_django`."""

from __future__ import annotations

import os
import socket
import sys
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
