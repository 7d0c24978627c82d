"""An attempt's agents: their ids in config order, their configs, and one
`Agent` each with its figures, answers, votes, errors and re-prompts."""

from __future__ import annotations

import dataclasses
from collections import Counter
from types import MappingProxyType

from analysis.massgen.attempt_files import AttemptSources
from analysis.massgen.clock import RunClock
from analysis.massgen.figures import TokenUsage
from analysis.massgen.massgen_log import MassgenLog
from analysis.massgen.metadata import AgentConfig
from analysis.massgen.metrics import AgentMetrics
from analysis.massgen.model import Agent, Answer, RunError, Vote
from analysis.massgen.status import AgentStatus, StatusFile

# massgen.log lines this close outside an attempt's run time still belong to it.
LOG_WINDOW_SLACK_SECONDS = 5
_SECONDS_PER_DAY = 86_400


def agent_ids(sources: AttemptSources) -> tuple[list[str], dict[str, AgentConfig]]:
    """Agent ids in config order, then any only the run's files mention. A
    config agent without an id takes the next id the files name."""
    recorded = _recorded_ids(sources)
    by_id = _configs_by_id(sources.metadata.agents if sources.metadata else (), recorded)
    order = list(by_id) + [agent for agent in recorded if agent not in by_id]
    return order, by_id


def _configs_by_id(configs: tuple[AgentConfig, ...], recorded: list[str]) -> dict[str, AgentConfig]:
    named = [config.id for config in configs if config.id]
    spare = iter(agent for agent in recorded if agent not in named)
    by_id: dict[str, AgentConfig] = {}
    for config in configs:
        agent = config.id or next(spare, None)
        if agent and agent not in by_id:
            by_id[agent] = dataclasses.replace(config, id=agent)
    return by_id


def _recorded_ids(sources: AttemptSources) -> list[str]:
    """Every agent id the run's files name, each once, in the order first named."""
    status, metrics, coordination, stream = sources.status, sources.metrics, sources.coordination, sources.stream
    mentioned = [
        *(agent.id for agent in (status.agents if status else ())),
        *(agent.id for agent in (metrics.agents if metrics else ())),
        *(coordination.agent_ids if coordination else ()),
        *sources.scan.by_agent,
        *(answer.agent for answer in (stream.answers if stream else ())),
        *(vote.voter for vote in (stream.votes if stream else ())),
    ]
    return list(dict.fromkeys(mentioned))


@dataclasses.dataclass(frozen=True)
class _Activity:
    """What the agents did, counted per agent id."""

    answered: Counter[str]
    voted: Counter[str]
    failed: Counter[str]
    logged_enforcements: dict[str, int]


def build_agents(
    order: list[str],
    configs: dict[str, AgentConfig],
    agent_metrics: dict[str, AgentMetrics],
    agent_status: dict[str, AgentStatus],
    answers: list[Answer],
    votes: list[Vote],
    errors: list[RunError],
    logged_enforcements: dict[str, int],
) -> list[Agent]:
    activity = _Activity(
        answered=Counter(answer.agent for answer in answers),
        voted=Counter(vote.voter for vote in votes),
        failed=Counter(error.agent for error in errors),
        logged_enforcements=logged_enforcements,
    )
    return [
        _agent(agent_id, configs.get(agent_id), agent_metrics.get(agent_id), agent_status.get(agent_id), activity)
        for agent_id in order
    ]


def _agent(
    agent_id: str, config: AgentConfig | None, figures: AgentMetrics | None, state: AgentStatus | None, activity: _Activity
) -> Agent:
    usage = _usage(figures, state)
    return Agent(
        id=agent_id,
        backend=config.backend if config else None,
        model=config.model if config else None,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        cost_usd=usage.cost_usd,
        answers=activity.answered[agent_id],
        votes_cast=activity.voted[agent_id],
        errors=activity.failed[agent_id],
        enforcement_retries=_retries(state, activity.logged_enforcements.get(agent_id, 0)),
        status=state.status if state else None,
        times_restarted=state.times_restarted if state else 0,
        config=MappingProxyType(config.settings if config else {}),
    )


def _usage(figures: AgentMetrics | None, state: AgentStatus | None) -> TokenUsage:
    return (figures and figures.usage) or (state and state.usage) or TokenUsage()


def _retries(state: AgentStatus | None, logged: int) -> int:
    """status.json's count, unless massgen.log shows more re-prompts (0.1.43 misses some)."""
    recorded = state.reliability.total_retries if state and state.reliability else 0
    return max(recorded, logged)


def logged_enforcements(log: MassgenLog | None, status: StatusFile | None, clock: RunClock) -> dict[str, int]:
    """Re-prompts per agent from massgen.log, keeping only lines written
    during this attempt when its run time is known."""
    if log is None:
        return {}
    window = log_window(status, clock)
    counts: dict[str, int] = {}
    for enforcement in log.enforcements:
        if in_log_window(enforcement.seconds_of_day, window):
            counts[enforcement.agent] = counts.get(enforcement.agent, 0) + 1
    return counts


def log_window(status: StatusFile | None, clock: RunClock) -> tuple[int, int] | None:
    """The attempt's run time as seconds of the day (first, last), with some slack."""
    if not (status and status.start_time is not None and status.elapsed_seconds is not None and clock.offset is not None):
        return None
    start = clock.from_epoch(status.start_time)
    if start is None:
        return None
    begin = start.hour * 3600 + start.minute * 60 + start.second - LOG_WINDOW_SLACK_SECONDS
    return begin, begin + int(status.elapsed_seconds) + 2 * LOG_WINDOW_SLACK_SECONDS + 1


def in_log_window(seconds_of_day: int | None, window: tuple[int, int] | None) -> bool:
    if not window or seconds_of_day is None:
        return True
    # Compare on a clock that may wrap past midnight.
    offset = (seconds_of_day - window[0]) % _SECONDS_PER_DAY
    return offset <= window[1] - window[0]
