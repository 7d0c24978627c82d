"""Snapshot folders: `<agent_id>/<YYYYMMDD_HHMMSS_ffffff>/` holds one answer
(answer.txt) or one vote (vote.json), with context.txt and execution_trace.md;
`final/<winner>/` holds the final presentation. They survive an interrupted
run, so they are the fallback record of answers and votes.

Scanning only lists folders and stats files; vote.json files are parsed only
when the caller needs them (`read_vote`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from analysis.massgen.clock import RunClock, as_epoch, parse_folder_time
from analysis.massgen.figures import as_dict, as_int, as_str
from analysis.massgen.jsondoc import load_json_object
from analysis.massgen.model import MAX_REASON_CHARS, RunFiles, TextRef, Vote, join_path
from analysis.redaction.scrub import scrub_excerpt

# Folders of an attempt that are never an agent's snapshots.
RESERVED_FOLDERS = frozenset({"agent_outputs", "final", "compression_debug", "subagents", "workspace", "workspaces"})
# Snapshot folders read per attempt; beyond this the rest are not listed.
MAX_SNAPSHOTS = 200_000


@dataclass(frozen=True, slots=True)
class Snapshot:
    agent: str
    folder: str  # relative to the session root
    local_time: datetime | None  # from the folder name, naive local
    answer: TextRef | None
    vote_path: str | None  # vote.json, relative to the session root
    context: TextRef | None
    trace: TextRef | None


@dataclass(frozen=True, slots=True)
class VoteRecord:
    vote: Vote
    epoch: float | None
    label_to_agent: dict[str, str]  # answer_label_to_agent: evidence for label numbering


@dataclass(frozen=True, slots=True)
class SnapshotScan:
    by_agent: dict[str, tuple[Snapshot, ...]]  # each agent's snapshots, oldest first
    finals: dict[str, TextRef]  # final/<agent>/answer.txt
    subagent_folders: tuple[str, ...]  # relative to the session root
    truncated: bool


def _files(directory: Path) -> dict[str, int]:
    try:
        with os.scandir(directory) as entries:
            return {
                entry.name: entry.stat(follow_symlinks=False).st_size for entry in entries if entry.is_file(follow_symlinks=False)
            }
    except OSError:
        return {}


def _ref(files: RunFiles, folder: str, name: str, present: dict[str, int]) -> TextRef | None:
    return TextRef(files, join_path(folder, name), present[name]) if name in present else None


def _subdirectories(directory: Path) -> list[str]:
    try:
        with os.scandir(directory) as entries:
            return sorted(entry.name for entry in entries if entry.is_dir(follow_symlinks=False))
    except OSError:
        return []


def scan_snapshots(files: RunFiles, attempt: str) -> SnapshotScan:
    """`attempt` is the attempt folder relative to the session root."""
    base = files.resolve(attempt)
    by_agent: dict[str, tuple[Snapshot, ...]] = {}
    budget = MAX_SNAPSHOTS
    truncated = False
    for agent in _subdirectories(base):
        if agent in RESERVED_FOLDERS:
            continue
        # Snapshot folders are named by their local time: 20261124_044614_055392.
        named = [(name, time) for name in _subdirectories(base / agent) if (time := parse_folder_time(name)) is not None]
        if len(named) > budget:
            named, truncated = named[:budget], True
        budget -= len(named)
        snapshots = []
        for name, time in named:
            folder = join_path(attempt, f"{agent}/{name}")
            present = _files(files.resolve(folder))
            snapshots.append(
                Snapshot(
                    agent=agent,
                    folder=folder,
                    local_time=time,
                    answer=_ref(files, folder, "answer.txt", present),
                    vote_path=f"{folder}/vote.json" if "vote.json" in present else None,
                    context=_ref(files, folder, "context.txt", present),
                    trace=_ref(files, folder, "execution_trace.md", present),
                )
            )
        if snapshots:
            by_agent[agent] = tuple(snapshots)
    finals = {}
    for agent in _subdirectories(base / "final"):
        present = _files(base / "final" / agent)
        answer = _ref(files, join_path(attempt, f"final/{agent}"), "answer.txt", present)
        if answer is not None:
            finals[agent] = answer
    subagents = tuple(join_path(attempt, f"subagents/{name}") for name in _subdirectories(base / "subagents"))
    return SnapshotScan(by_agent, finals, subagents, truncated)


def scan_finals(files: RunFiles, folder: str) -> dict[str, TextRef]:
    """`<folder>/final/<agent>/answer.txt` (the turn-level copy of the accepted final)."""
    finals = {}
    for agent in _subdirectories(files.resolve(folder) / "final"):
        present = _files(files.resolve(join_path(folder, f"final/{agent}")))
        answer = _ref(files, join_path(folder, f"final/{agent}"), "answer.txt", present)
        if answer is not None:
            finals[agent] = answer
    return finals


def read_vote(files: RunFiles, snapshot: Snapshot, clock: RunClock) -> VoteRecord:
    """Parse a snapshot's vote.json; raises RunFormatError naming the file."""
    assert snapshot.vote_path is not None
    raw = load_json_object(files.resolve(snapshot.vote_path), snapshot.vote_path)
    epoch = as_epoch(raw.get("unix_timestamp"))
    mapping = {str(label): agent for label, agent in as_dict(raw.get("answer_label_to_agent")).items() if isinstance(agent, str)}
    vote = Vote(
        voter=as_str(raw.get("voter_id")) or snapshot.agent,
        voted_for=as_str(raw.get("voted_for")),
        label=as_str(raw.get("voted_for_label")),
        reason=scrub_excerpt(as_str(raw.get("reason")) or "", MAX_REASON_CHARS),
        at=clock.from_epoch(epoch) if epoch is not None else clock.from_local(snapshot.local_time),
        round=as_int(raw.get("coordination_round")),
        trace=snapshot.trace,
    )
    return VoteRecord(vote, epoch, mapping)


@dataclass(frozen=True, slots=True)
class MappedSnapshot:
    label: str
    kind: str  # answer | vote | final_answer
    agent: str | None
    path: str  # relative to the attempt folder


def read_snapshot_mappings(path: Path, name: str) -> dict[str, MappedSnapshot]:
    """snapshot_mappings.json: label -> the snapshot file MassGen saved for it."""
    raw = load_json_object(path, name)
    mapped = {}
    for label, entry in raw.items():
        entry = as_dict(entry)
        snapshot_path = as_str(entry.get("path"))
        if snapshot_path and ".." not in Path(snapshot_path).parts and not Path(snapshot_path).is_absolute():
            mapped[str(label)] = MappedSnapshot(
                str(label), as_str(entry.get("type")) or "answer", as_str(entry.get("agent_id")), snapshot_path
            )
    return mapped
