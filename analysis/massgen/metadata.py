"""execution_metadata.yaml: the question, the start time, the MassGen version and
the whole raw config, which is where agents' backends and models come from (and
where users' inline API keys live, hence the scrubbing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from analysis.massgen.clock import parse_local_iso
from analysis.massgen.errors import RunFormatError
from analysis.redaction.scrub import scrub, scrub_text

# Real files are a few kilobytes; the pure-Python parser needs ~2 s per MiB.
MAX_METADATA_BYTES = 1024 * 1024
# YAML aliases let a tiny file describe an exponentially large tree; walking it
# stops at this many nodes. Real configs have a few hundred.
MAX_CONFIG_NODES = 100_000
MAX_CONFIG_DEPTH = 64

# Not libyaml's CSafeLoader: it overflows the C stack (a segfault, not an
# exception) on deeply nested flow collections such as 200,000 `[`.
_Loader = yaml.SafeLoader


@dataclass(frozen=True, slots=True)
class AgentConfig:
    id: str | None
    backend: str | None
    model: str | None
    settings: dict[str, Any]  # the agent's backend block, scrubbed


@dataclass(frozen=True, slots=True)
class Metadata:
    query: str | None
    timestamp: datetime | None  # naive, the run machine's local time
    massgen_version: str | None
    agents: tuple[AgentConfig, ...]
    config: dict[str, Any]  # the whole config, scrubbed
    # Why the previous attempt was restarted (`coordination.restart_reason`,
    # written into the metadata of the attempt an orchestration restart opens).
    restart_reason: str | None = None


class _Budget:
    def __init__(self, name: str):
        self.name = name
        self.left = MAX_CONFIG_NODES

    def take(self, depth: int) -> None:
        self.left -= 1
        if self.left < 0:
            raise RunFormatError(self.name, f"expands to more than {MAX_CONFIG_NODES} values (MAX_CONFIG_NODES)")
        if depth > MAX_CONFIG_DEPTH:
            raise RunFormatError(self.name, f"nests deeper than {MAX_CONFIG_DEPTH} levels (MAX_CONFIG_DEPTH)")


def _plain(value: Any, budget: _Budget, depth: int = 0) -> Any:
    """A JSON-shaped copy: str keys, no dates, no shared subtrees."""
    budget.take(depth)
    if isinstance(value, dict):
        return {str(key): _plain(item, budget, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(item, budget, depth + 1) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _agent(entry: Any) -> AgentConfig | None:
    if not isinstance(entry, dict):
        return None
    backend = entry.get("backend")
    backend = backend if isinstance(backend, dict) else {}
    return AgentConfig(
        id=_text(entry.get("id")),
        backend=_text(backend.get("type")),
        model=_text(backend.get("model")),
        settings=scrub(backend),
    )


def agents_from_config(config: dict[str, Any]) -> tuple[AgentConfig, ...]:
    entries = config.get("agents")
    if not isinstance(entries, list):
        # Older and single-agent configs have one `agent` block instead.
        single = config.get("agent")
        entries = [single] if isinstance(single, dict) else []
    return tuple(agent for agent in map(_agent, entries) if agent is not None)


def read_metadata(path: Path, name: str) -> Metadata:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_METADATA_BYTES + 1)
    except OSError as exc:
        raise RunFormatError(name, f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_METADATA_BYTES:
        raise RunFormatError(name, f"is larger than {MAX_METADATA_BYTES} bytes (MAX_METADATA_BYTES)")
    try:
        document = yaml.load(data, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise RunFormatError(name, f"is not valid YAML ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    except (RecursionError, ValueError, OverflowError) as exc:
        raise RunFormatError(name, f"is not valid YAML ({type(exc).__name__})") from None
    if document is None:
        raise RunFormatError(name, "is empty")
    if not isinstance(document, dict):
        raise RunFormatError(name, f"holds a YAML {type(document).__name__}, not a mapping")
    document = _plain(document, _Budget(name))
    config = document.get("config")
    config = config if isinstance(config, dict) else {}
    return Metadata(
        query=_text(document.get("query")),
        timestamp=parse_local_iso(_text(document.get("timestamp"))),
        massgen_version=_text(document.get("massgen_version")),
        agents=agents_from_config(config),
        config=scrub(config),
        restart_reason=_restart_reason(document),
    )


def _restart_reason(document: dict[str, Any]) -> str | None:
    coordination = document.get("coordination")
    coordination = coordination if isinstance(coordination, dict) else {}
    reason = _text(coordination.get("restart_reason")) or _text(document.get("restart_reason"))
    return scrub_text(reason) if reason else None
