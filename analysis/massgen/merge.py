"""How records from several files become one list: coordination_events.json
is authoritative when complete; snapshot folders, vote.json files and the
event stream fill in what an interrupted run no longer has, without counting
the same answer, vote or error twice."""

from __future__ import annotations

import dataclasses
import sys
from collections import Counter
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from analysis.massgen.labels import split_label
from analysis.massgen.model import Answer, RunError, TimelineEvent, Vote, join_path
from analysis.massgen.snapshots import MappedSnapshot, Snapshot

# Two records of one vote or error written by different files lie this close in time.
SAME_INSTANT_SECONDS = 5.0
# An untimed record is compared with at most this many records of the same text.
_UNTIMED_CANDIDATES = 8


def time_key(at: datetime | None) -> tuple[bool, float]:
    return (at is None, at.timestamp() if at is not None else 0.0)


def merge_answers(
    recorded: Sequence[Answer],
    snapshots: dict[str, tuple[Snapshot, ...]],
    mappings: dict[str, MappedSnapshot],
    attempt_folder: str,
    numbers: dict[str, int],
    from_local: Callable[[datetime | None], datetime | None],
) -> list[Answer]:
    """Recorded answers (coordination events, event stream) joined with the
    answer snapshot that holds each one's text. A snapshot is matched by
    snapshot_mappings.json when present, else as the agent's M-th answer."""
    by_label: dict[str, Answer] = {}
    per_agent: dict[str, int] = {}
    for answer in recorded:
        label = answer.label
        if split_label(label) is None:
            # The stream did not say; the agent's next ordinal is its label.
            label = f"agent{numbers.get(answer.agent, 0)}.{per_agent.get(answer.agent, 0) + 1}"
        per_agent[answer.agent] = max(per_agent.get(answer.agent, 0), (split_label(label) or (0, 0))[1] or 0)
        if label not in by_label:
            by_label[label] = dataclasses.replace(answer, label=label)
    mapped_folders = {
        join_path(attempt_folder, mapped.path).rsplit("/", 1)[0]: label for label, mapped in mappings.items() if mapped.kind == "answer"
    }
    for agent, agent_snapshots in snapshots.items():
        ordinal = 0
        for snapshot in agent_snapshots:
            if snapshot.answer is None:
                continue
            ordinal += 1
            label = mapped_folders.get(snapshot.folder) or f"agent{numbers.get(agent, 0)}.{ordinal}"
            texts = {"text": snapshot.answer, "context": snapshot.context, "trace": snapshot.trace}
            if label in by_label:
                by_label[label] = dataclasses.replace(by_label[label], **texts)
            else:
                by_label[label] = Answer(label=label, agent=agent, at=from_local(snapshot.local_time), round=None, **texts)
    return sorted(by_label.values(), key=lambda answer: time_key(answer.at))


def label_votes(votes: Iterable[Vote], answers: Sequence[Answer]) -> list[Vote]:
    """Fill in a missing answer label: the voted-for agent's latest answer at
    the time of the vote (which is how MassGen itself labels a vote)."""
    by_agent: dict[str, list[tuple[tuple[bool, float], str]]] = {}
    for answer in answers:
        by_agent.setdefault(answer.agent, []).append((time_key(answer.at), answer.label))
    for entries in by_agent.values():
        entries.sort()
    labelled = []
    for vote in votes:
        entries = by_agent.get(vote.voted_for or "", [])
        if vote.label is None and entries:
            position = bisect_right(entries, (time_key(vote.at), "\uffff")) if vote.at is not None else len(entries)
            vote = dataclasses.replace(vote, label=entries[max(position, 1) - 1][1])
        labelled.append(vote)
    return labelled


def _same_vote(first: Vote, second: Vote) -> bool:
    if first.label and second.label and first.label != second.label:
        return False
    return not (first.voted_for and second.voted_for and first.voted_for != second.voted_for)


def merge_votes(primary: Sequence[Vote], extra: Iterable[Vote]) -> list[Vote]:
    """Primary votes, plus each extra vote that is not one of them (same voter,
    same choice, same instant). A matched extra lends its trace."""
    merged = list(primary)
    # voter -> [(timestamp, position in merged)], sorted; untimed votes never match.
    timed: dict[str, list[tuple[float, int]]] = {}
    for position, vote in enumerate(merged):
        if vote.at is not None:
            timed.setdefault(vote.voter, []).append((vote.at.timestamp(), position))
    for entries in timed.values():
        entries.sort()
    matched: set[int] = set()
    for vote in extra:
        twin = None
        if vote.at is not None:
            entries = timed.get(vote.voter, [])
            moment = vote.at.timestamp()
            low = bisect_left(entries, (moment - SAME_INSTANT_SECONDS, -1))
            for stamp, position in entries[low:]:
                if stamp > moment + SAME_INSTANT_SECONDS:
                    break
                if position not in matched and _same_vote(merged[position], vote):
                    twin = position
                    break
        if twin is None:
            merged.append(vote)
            continue
        matched.add(twin)
        if merged[twin].trace is None and vote.trace is not None:
            merged[twin] = dataclasses.replace(merged[twin], trace=vote.trace)
    return sorted(merged, key=lambda vote: time_key(vote.at))


def attach_vote_traces(votes: Sequence[Vote], snapshots: dict[str, tuple[Snapshot, ...]]) -> list[Vote]:
    """Give each vote the trace of its snapshot: a voter's K-th vote is its
    K-th vote folder (ignored votes get no folder and no vote_cast event)."""
    folders = {agent: [snapshot for snapshot in items if snapshot.vote_path] for agent, items in snapshots.items()}
    seen: dict[str, int] = {}
    traced = []
    for vote in votes:
        index = seen.get(vote.voter, 0)
        seen[vote.voter] = index + 1
        candidates = folders.get(vote.voter, [])
        if vote.trace is None and index < len(candidates):
            vote = dataclasses.replace(vote, trace=candidates[index].trace)
        traced.append(vote)
    return traced


def _nearby(entries: list[tuple[float, int]], at: datetime | None) -> list[int]:
    """Positions of the entries (sorted by time) within SAME_INSTANT_SECONDS of `at`."""
    if at is None:
        return [position for _, position in entries[:_UNTIMED_CANDIDATES]]
    moment = at.timestamp()
    low = bisect_left(entries, (moment - SAME_INSTANT_SECONDS, -1))
    high = bisect_right(entries, (moment + SAME_INSTANT_SECONDS, sys.maxsize))
    return [position for _, position in entries[low:high]]


def merge_errors(sources: Iterable[Iterable[RunError]]) -> list[RunError]:
    """One entry per error: files that record the same failure (status.json,
    reliability, the stream) are collapsed; an unattributed copy of an
    attributed error is dropped."""
    kept: list[RunError] = []
    timed: dict[tuple[str, str], list[tuple[float, int]]] = {}
    untimed: dict[tuple[str, str], list[int]] = {}
    for error in (error for source in sources for error in source):
        key = (error.kind, error.message)
        candidates = _nearby(timed.get(key, []), error.at) + untimed.get(key, [])[:_UNTIMED_CANDIDATES]
        duplicate = next(
            (
                position
                for position in candidates
                if kept[position].agent == error.agent or kept[position].agent is None or error.agent is None
            ),
            None,
        )
        if duplicate is not None:
            if kept[duplicate].agent is None and error.agent is not None:
                kept[duplicate] = error
            continue
        if error.at is None:
            untimed.setdefault(key, []).append(len(kept))
        else:
            insort(timed.setdefault(key, []), (error.at.timestamp(), len(kept)))
        kept.append(error)
    return sorted(kept, key=lambda error: time_key(error.at))


def build_timeline(
    recorded: Sequence[TimelineEvent],
    answers: Sequence[Answer],
    votes: Sequence[Vote],
    errors: Sequence[RunError],
    limit: int,
) -> list[TimelineEvent]:
    """The recorded timeline, completed with each answer, vote and error that
    no recorded event stands for (a cut or missing coordination file leaves gaps)."""
    events = list(recorded)
    shown = Counter((event.kind, event.agent, event.label if event.kind in ("answer", "vote") else event.details) for event in events)
    candidates = [
        *(TimelineEvent(answer.at, "answer", answer.agent, answer.label, "") for answer in answers),
        *(TimelineEvent(vote.at, "vote", vote.voter, vote.label, f"voted for {vote.voted_for}") for vote in votes),
        *(TimelineEvent(error.at, error.kind, error.agent, None, error.message) for error in errors),
    ]
    for event in candidates:
        key = (event.kind, event.agent, event.label if event.kind in ("answer", "vote") else event.details)
        if shown[key]:
            shown[key] -= 1
        else:
            events.append(event)
    events.sort(key=lambda event: time_key(event.at))
    return events[:limit]
