"""Claims whose worker is known to be gone.

Work rows (runs being ingested, analyses, follow-up answers) are claimed with a
lease; a delivery after a crash takes them again once the lease runs out, which
may be as long as DEBRIEF_TASK_TIME_LIMIT. `debrief serve` knows better: on the
embedded broker its worker is the only consumer, so when it starts a worker,
every claim still held belongs to a worker that died. It calls
`release_orphaned_claims()`, and each app that claims rows registers (in its
AppConfig.ready) how to give all of its claims up. Apps depend on this module,
never the other way round."""

from __future__ import annotations

from django.utils.module_loading import import_string

# kind -> dotted path of a function that expires every live claim of that kind and
# returns how many. A path, not the function: importing the work modules at start-up
# would slow down every `debrief` command.
_releasers: dict[str, str] = {}


def register(kind: str, release_all_path: str) -> None:
    _releasers[kind] = release_all_path


def release_orphaned_claims() -> dict[str, int]:
    """Expire every live claim; only safe when no worker is running. Returns the
    count per kind, for the log."""
    return {kind: import_string(path)() for kind, path in _releasers.items()}
