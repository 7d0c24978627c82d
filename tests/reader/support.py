"""Helpers shared by the reader tests: the bundled sample runs, writable
copies of them, archives built from them, and the expected-summary comparison."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.massgen import read_session
from analysis.massgen.summary import summarize

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "massgen-runs"
COST_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Sample:
    version: str  # e.g. "0.1.43"
    scenario: str
    run: Path  # the log_* folder
    expected_file: Path

    @property
    def expected(self) -> dict[str, Any]:
        return contract_part(json.loads(self.expected_file.read_text()))

    @property
    def layered(self) -> bool:
        """turn_N/attempt_M folders (MassGen 0.1.8 on), not the flat layout."""
        return (self.run / "turn_1").is_dir()

    def __str__(self) -> str:
        return f"{self.version}/{self.scenario}"


SAMPLES = tuple(
    Sample(
        version=expected.parent.parent.name.removeprefix("massgen-"),
        scenario=expected.parent.name,
        run=expected.with_name(expected.name.removesuffix(".expected-summary.json")),
        expected_file=expected,
    )
    for expected in sorted(FIXTURES.glob("massgen-*/*/log_*.expected-summary.json"))
)


# Sample runs in the turn_N/attempt_M layout: the ones tests can take files from.
LAYERED_SAMPLES = tuple(item for item in SAMPLES if item.layered)
# Keys of an expected-summary.json that describe the sample rather than a field
# of the summary (the 0.1.1 sample's note, and its duration quoted from the log).
_DESCRIPTIVE_KEYS = frozenset({"note", "duration_seconds_from_last_session_end"})


def contract_part(expected: Any) -> Any:
    """The part of an expected-summary.json the contract fixes. The 0.1.1
    sample lists votes in the order cast; the contract lists them by voter,
    each voter's in the order cast, which a stable sort by voter gives."""
    if isinstance(expected, dict):
        part = {key: contract_part(value) for key, value in expected.items() if key not in _DESCRIPTIVE_KEYS}
        if isinstance(part.get("votes"), list) and all(isinstance(vote, dict) for vote in part["votes"]):
            part["votes"] = sorted(part["votes"], key=lambda vote: str(vote.get("voter")))
        return part
    if isinstance(expected, list):
        return [contract_part(value) for value in expected]
    return expected


def interrupted(expected: dict[str, Any]) -> dict[str, Any]:
    """The expected summary of a copy that lost an end-of-run file: the same
    figures, but not complete (its record is not whole)."""
    for turn in expected["turns"]:
        for attempt in turn["attempts"]:
            if "complete" in attempt:
                attempt["complete"] = False
    return expected


def sample(scenario: str, version: str) -> Sample:
    return next(item for item in SAMPLES if item.scenario == scenario and item.version == version)


def mismatches(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Every field of `expected` that `actual` lacks or disagrees with (costs to
    1e-9); fields only `actual` has are fine, the contract allows additions."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        found = []
        for key, value in expected.items():
            found += mismatches(value, actual[key], f"{where}.{key}") if key in actual else [f"{where}.{key}: missing"]
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} items, got {actual!r}"]
        return [problem for index, pair in enumerate(zip(expected, actual)) for problem in mismatches(*pair, f"{where}[{index}]")]
    if isinstance(expected, float):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)) or abs(expected - actual) > COST_TOLERANCE:
            return [f"{where}: expected {expected!r}, got {actual!r}"]
        return []
    return [] if expected == actual and type(expected) is type(actual) else [f"{where}: expected {expected!r}, got {actual!r}"]


def summary_of(path: Path) -> dict[str, Any]:
    return summarize(read_session(path))


def writable_copy(run: Path, parent: Path) -> Path:
    target = parent / run.name
    shutil.copytree(run, target)
    for folder, _, files in os.walk(target):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    return target


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.rglob("*")):
            bundle.write(path, path.relative_to(folder.parent).as_posix())
    return archive


def targz_folder(folder: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(folder, arcname=folder.name)
    return archive


def attempt_folder(run: Path, turn: int = 1, attempt: int = 1) -> Path:
    return run / f"turn_{turn}" / f"attempt_{attempt}"
