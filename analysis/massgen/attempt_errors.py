"""An attempt's errors, from every file that records some, merged so each is
reported once."""

from __future__ import annotations

from analysis.massgen.clock import RunClock
from analysis.massgen.coordination import CoordinationLog
from analysis.massgen.merge import merge_errors
from analysis.massgen.model import MAX_DETAILS_CHARS, RunError
from analysis.massgen.status import AgentStatus, StatusFile
from analysis.massgen.streamlog import StreamLog
from analysis.redaction.scrub import scrub_excerpt

# Enforcement reasons that are API failures, reported as errors too.
API_FAILURES = frozenset({"api_error", "fatal_api_error", "mcp_disconnected"})
# How the orchestrator stops when it gives up rather than finishing.
FAILED_FINISHES = ("timeout", "error")


def read_errors(
    status: StatusFile | None, coordination: CoordinationLog | None, stream: StreamLog | None, clock: RunClock, status_name: str
) -> list[RunError]:
    agents = status.agents if status else ()
    from_status = [_agent_error(agent, clock, status_name) for agent in agents if agent.error is not None]
    from_reliability = [error for agent in agents for error in _api_failures(agent, status_name)]
    return merge_errors(
        (
            from_status,
            coordination.errors if coordination else (),
            from_reliability,
            stream.errors if stream else (),
            _finish_error(status, status_name),
        )
    )


def _agent_error(agent: AgentStatus, clock: RunClock, status_name: str) -> RunError:
    kind = "timeout" if "timeout" in (agent.error.type or "").lower() else "error"
    message = scrub_excerpt(agent.error.message or agent.error.type or "error", MAX_DETAILS_CHARS)
    return RunError(agent.id, kind, message, clock.from_epoch(agent.error.timestamp), status_name)


def _api_failures(agent: AgentStatus, status_name: str) -> list[RunError]:
    """Enforcement attempts that failed on the provider's side rather than the agent's."""
    if agent.reliability is None:
        return []
    return [
        RunError(agent.id, "error", attempt.error_message or attempt.reason, None, status_name)
        for attempt in agent.reliability.attempts
        if attempt.reason in API_FAILURES
    ]


def _finish_error(status: StatusFile | None, status_name: str) -> list[RunError]:
    if not (status and status.finish_reason in FAILED_FINISHES):
        return []
    message = scrub_excerpt(status.finish_details or f"the orchestrator stopped with {status.finish_reason}", MAX_DETAILS_CHARS)
    return [RunError(None, status.finish_reason, message, None, status_name)]
