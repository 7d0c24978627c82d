"""An attempt's answers and votes, the labels (agentN.M) that tie them to
agents, its winner and its final answer.

coordination_events.json is authoritative when complete; otherwise every
vote.json, the snapshot folders and the event stream fill in."""

from __future__ import annotations

from analysis.massgen.attempt_files import AttemptFiles, AttemptSources
from analysis.massgen.clock import RunClock
from analysis.massgen.coordination import CoordinationLog
from analysis.massgen.errors import RunFormatError
from analysis.massgen.labels import agent_numbers
from analysis.massgen.merge import attach_vote_traces, label_votes, merge_answers, merge_votes
from analysis.massgen.model import MAX_REASON_CHARS, Answer, TextRef, Vote
from analysis.massgen.snapshots import MappedSnapshot, SnapshotScan, VoteRecord, read_vote
from analysis.massgen.status import StatusFile
from analysis.massgen.streamlog import StreamLog
from analysis.redaction.scrub import scrub_excerpt


def read_answers_and_votes(attempt: AttemptFiles, sources: AttemptSources, order: list[str]) -> tuple[list[Answer], list[Vote]]:
    """Answers, then votes with each one's answer label filled in; `order` is
    the agents' ids in config order, which may number the labels."""
    # Without a complete coordination record every vote.json is needed, first as label evidence.
    vote_files = [] if sources.complete_record else read_vote_files(attempt, sources.scan, sources.clock)
    numbers = _agent_numbers(attempt, order, sources, vote_files)
    answers = read_answers(sources, attempt.folder, numbers)
    votes = label_votes(read_votes(attempt, sources, vote_files), answers)
    return answers, votes


def read_vote_files(attempt: AttemptFiles, scan: SnapshotScan, clock: RunClock) -> list[VoteRecord]:
    records = []
    for snapshots in scan.by_agent.values():
        for snapshot in snapshots:
            if snapshot.vote_path:
                try:
                    records.append(read_vote(attempt.files, snapshot, clock))
                except RunFormatError as exc:
                    attempt.warnings.append(f"{exc}; that vote is missing")
    return records


def _agent_numbers(
    attempt: AttemptFiles, order: list[str], sources: AttemptSources, vote_files: list[VoteRecord]
) -> dict[str, int]:
    """The N in each agent's labels, with a warning when it had to be guessed."""
    metadata = sources.metadata
    evidence = label_evidence(sources, vote_files)
    numbers, note = agent_numbers(order, metadata.massgen_version if metadata else None, evidence)
    if note:
        attempt.warn(note)
    return numbers


def label_evidence(sources: AttemptSources, vote_files: list[VoteRecord]) -> list[tuple[str, str]]:
    """(label, agent id) pairs the run's files record, to tell how MassGen numbered its agents."""
    return [
        *(pair for record in vote_files for pair in record.label_to_agent.items()),
        *_coordination_labels(sources.coordination),
        *_status_labels(sources.status),
        *_stream_labels(sources.stream),
        *_mapped_labels(sources.mappings),
    ]


def _coordination_labels(coordination: CoordinationLog | None) -> list[tuple[str, str]]:
    if not coordination:
        return []
    answered = [(answer.label, answer.agent) for answer in coordination.answers]
    return answered + [(vote.label, vote.voted_for) for vote in coordination.votes if vote.label and vote.voted_for]


def _status_labels(status: StatusFile | None) -> list[tuple[str, str]]:
    if not status:
        return []
    return [(agent.latest_answer_label, agent.id) for agent in status.agents if agent.latest_answer_label]


def _stream_labels(stream: StreamLog | None) -> list[tuple[str, str]]:
    if not stream:
        return []
    return [(answer.label, answer.agent) for answer in stream.answers if answer.label]


def _mapped_labels(mappings: dict[str, MappedSnapshot]) -> list[tuple[str, str]]:
    return [(mapped.label, mapped.agent) for mapped in mappings.values() if mapped.kind == "answer" and mapped.agent]


def read_answers(sources: AttemptSources, folder: str, numbers: dict[str, int]) -> list[Answer]:
    coordination, stream = sources.coordination, sources.stream
    recorded = list(coordination.answers) if coordination else []
    if stream and not sources.complete_record:
        known = {answer.label for answer in recorded}
        recorded += [answer for answer in stream.answers if answer.label not in known]
    return merge_answers(recorded, sources.scan.by_agent, sources.mappings, folder, numbers, sources.clock.from_local)


def read_votes(attempt: AttemptFiles, sources: AttemptSources, vote_files: list[VoteRecord]) -> list[Vote]:
    coordination, stream, status = sources.coordination, sources.stream, sources.status
    recorded = list(coordination.votes) if coordination else []
    if sources.complete_record:
        return attach_vote_traces(recorded, sources.scan.by_agent)
    # Interrupted or cut short: every vote.json, then the stream's votes.
    votes = merge_votes(merge_votes(recorded, [record.vote for record in vote_files]), stream.votes if stream else ())
    if votes or not status:
        return votes
    attempt.warnings.append(f"{attempt.name('status.json')}: only each agent's first vote is known")
    return _first_votes(status)


def _first_votes(status: StatusFile) -> list[Vote]:
    return [
        Vote(
            voter=agent.id,
            voted_for=agent.first_vote.voted_for,
            label=agent.first_vote.label,
            reason=scrub_excerpt(agent.first_vote.reason, MAX_REASON_CHARS),
            at=None,
            round=None,
        )
        for agent in status.agents
        if agent.first_vote is not None
    ]


def find_winner(sources: AttemptSources) -> str | None:
    metrics, status, coordination, stream, scan = sources.metrics, sources.status, sources.coordination, sources.stream, sources.scan
    return (
        (metrics and metrics.winner)
        or (status and status.winner)
        or (coordination and coordination.final_winner)
        or (stream and stream.final_agent)
        or (next(iter(scan.finals)) if len(scan.finals) == 1 else None)
    )


def find_final_answer(scan: SnapshotScan, turn_finals: dict[str, TextRef], winner: str | None) -> TextRef | None:
    """From the attempt's final/ folder, else the turn's: the winner's answer,
    or the only one there."""
    for finals in (scan.finals, turn_finals):
        if winner in finals:
            return finals[winner]
        if len(finals) == 1:
            return next(iter(finals.values()))
    return None
