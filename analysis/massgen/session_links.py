"""What one attempt of a session tells about another: the config an attempt's
metadata leaves out, and the verdict of an orchestration restart.

- An attempt opened by an orchestration restart, and a `--continue` turn, often
  have metadata without `config:`; the session's config still holds, so each
  agent's backend, model and settings are carried forward from the attempt
  before it that has them.
- A restarted attempt did not produce the turn's answer: it has no winner; the
  agent whose answer post-evaluation rejected is its `presented_by`, and the
  reason is in the next attempt's metadata (`coordination.restart_reason`)."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from analysis.massgen.model import Agent, Attempt, Turn


def carry_forward(turns: list[Turn]) -> list[Turn]:
    known: dict[str, Agent] = {}
    config = None
    linked = []
    for turn in turns:
        attempts = []
        for index, attempt in enumerate(turn.attempts):
            agents = tuple(_with_config(agent, known.get(agent.id)) for agent in attempt.agents)
            filled = any(agent is not original for agent, original in zip(agents, attempt.agents, strict=True))
            inherited = not attempt.config and config is not None
            if inherited:
                # The session's config order, as the attempts that have a config list their agents.
                order = {agent_id: position for position, agent_id in enumerate(known)}
                agents = tuple(sorted(agents, key=lambda agent: order.get(agent.id, len(order))))
            changes = {"agents": agents}
            if inherited:
                changes["config"] = config
            if inherited or filled:
                changes["warnings"] = (
                    *attempt.warnings,
                    f"{attempt.path or '.'}: its metadata has no config; the session's config was carried forward from an earlier attempt",
                )
            if not attempt.accepted:
                following = turn.attempts[index + 1]
                changes["winner"] = None
                changes["restart_reason"] = _restart_reason(following)
            attempt = dataclasses.replace(attempt, **changes)
            attempts.append(attempt)
            known.update({agent.id: agent for agent in attempt.agents if agent.backend or agent.model})
            if attempt.config:
                config = attempt.config
        linked.append(dataclasses.replace(turn, attempts=tuple(attempts)))
    return linked


def _with_config(agent: Agent, earlier: Agent | None) -> Agent:
    if earlier is None or agent.backend or agent.model:
        return agent
    return dataclasses.replace(
        agent, backend=earlier.backend, model=earlier.model, config=MappingProxyType(dict(earlier.config))
    )


def _restart_reason(following: Attempt) -> str | None:
    return following.previous_restart_reason
