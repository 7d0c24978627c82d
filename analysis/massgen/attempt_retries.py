"""Provider errors MassGen backed off from and retried on its own (a Gemini 429:
"Rate limit ... Retry 1/5, backing off" in massgen.log, "Rate limited ...
Retrying attempt 2/5" in events.jsonl). No structured file records them, and
they leave no error round, so they are counted per agent here.

Both files usually describe the same back-off, so an agent's count is the
larger of the two, never their sum. massgen.log names the backend (`[Gemini]`),
not the agent: a line is given to the one agent on that backend, and left
unattributed when several agents share it."""

from __future__ import annotations

from collections import Counter

from analysis.massgen.attempt_agents import in_log_window, log_window
from analysis.massgen.attempt_files import AttemptSources
from analysis.massgen.model import MAX_DETAILS_CHARS, ProviderRetryRecord
from analysis.redaction.scrub import scrub_excerpt


def provider_retries(sources: AttemptSources, agents: dict[str, tuple[str | None, str | None]]) -> tuple[
    dict[str, int] | None, tuple[ProviderRetryRecord, ...]
]:
    """Per agent id the retries counted (None when neither file exists), and
    the retries themselves. `agents` maps each id to its (backend, model)."""
    stream, log = sources.stream, sources.massgen_log
    has_events = stream is not None and stream.name.endswith("events.jsonl")
    if not has_events and log is None:
        return None, ()
    from_stream = [
        ProviderRetryRecord(retry.agent, retry.message, retry.at, stream.name)
        for retry in (stream.provider_retries if stream else ())
    ]
    from_log = _from_log(sources, agents)
    stream_counts = Counter(record.agent for record in from_stream)
    log_counts = Counter(record.agent for record in from_log)
    records: list[ProviderRetryRecord] = []
    for agent in {*stream_counts, *log_counts}:
        # The source that saw more of this agent's back-offs stands for both.
        chosen = from_stream if stream_counts[agent] >= log_counts[agent] else from_log
        records += [record for record in chosen if record.agent == agent]
    records.sort(key=lambda record: (record.at is None, record.at.timestamp() if record.at else 0.0))
    counts = {agent: max(stream_counts[agent], log_counts[agent]) for agent in agents}
    return counts, tuple(records)


def _from_log(sources: AttemptSources, agents: dict[str, tuple[str | None, str | None]]) -> list[ProviderRetryRecord]:
    log = sources.massgen_log
    if log is None:
        return []
    window = None if sources.tracker_reset else log_window(sources.status, sources.clock)
    records = []
    for backoff in log.backoffs:
        if not in_log_window(backoff.seconds_of_day, window):
            continue
        message = scrub_excerpt(f"[{backoff.backend}] {backoff.message}" if backoff.backend else backoff.message, MAX_DETAILS_CHARS)
        records.append(ProviderRetryRecord(_agent_on(backoff.backend, agents), message, None, log.name))
    return records


def _agent_on(backend: str | None, agents: dict[str, tuple[str | None, str | None]]) -> str | None:
    if not backend:
        return None
    tag = backend.lower()
    matching = [
        agent
        for agent, (kind, model) in agents.items()
        if (kind and kind.lower() == tag) or (model and tag in model.lower()) or tag in agent.lower()
    ]
    return matching[0] if len(matching) == 1 else None
