"""Which MassGen session a run belongs to, so that a `massgen --continue` run
uploaded on its own, later, can be joined with the run it continues.

What MassGen records (0.1.12 to 0.1.97, from its source and the sample runs):
- A run that starts a session names it `session_YYYYMMDD_HHMMSS` and logs it near
  the top of massgen.log: "Created session for single-question mode: S",
  "Registered new session in registry: S" (`cli_args.session_id` stays null).
- `massgen --continue` (or `--session-id S`) puts S into the new run's metadata
  (`cli_args.session_id`, with `continue_session: true`) and logs "Using session
  from CLI: S". In 0.1.97 that run is a second `log_*` folder whose first turn is
  the session's next one (turn 2 and on), see `layout._fold_continuation_stub`.

A run without massgen.log (the 0.1.1 sample's owner did not commit it) falls back
to its log folder's name: MassGen opens `log_YYYYMMDD_HHMMSS_ffffff` in the same
second it names the session. Nothing else is guessed."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from analysis.massgen.errors import RunFormatError
from analysis.massgen.metadata import MAX_METADATA_BYTES

# The session lines are among the first of massgen.log; never read a whole log for them.
SESSION_LINES_BYTES = 256 * 1024
_SESSION_ID = r"(session_[A-Za-z0-9_.-]{1,100})"
_LOGGED = re.compile(
    rb"(?:Created session for [\w-]+ mode|Registered new session in registry|Using session from (?:CLI|config)"
    rb"|Saved session data for single-question run): " + _SESSION_ID.encode()
)
_PLAIN_ID = re.compile(rf"^{_SESSION_ID}$")
_LOG_FOLDER = re.compile(r"^log_(\d{8}_\d{6})(?:_\d+)?$")
_LOG_NAMES = ("massgen.log", "massgen_debug.log")


def recorded_session_id(attempt_folder: Path) -> str | None:
    """The MassGen session id the run's first attempt folder records: its
    metadata's `cli_args.session_id`, else the first session line of its log."""
    return _from_metadata(attempt_folder / "execution_metadata.yaml") or _from_log(attempt_folder)


def session_id_from_folder_name(name: str) -> str | None:
    match = _LOG_FOLDER.match(name)
    return f"session_{match.group(1)}" if match else None


def _from_metadata(path: Path) -> str | None:
    if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_METADATA_BYTES:
        return None
    try:
        document = yaml.load(path.read_bytes(), Loader=yaml.SafeLoader)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError, OSError, RunFormatError):
        return None  # the attempt reader says what is wrong with the file
    cli_args = document.get("cli_args") if isinstance(document, dict) else None
    value = cli_args.get("session_id") if isinstance(cli_args, dict) else None
    match = _PLAIN_ID.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def _from_log(folder: Path) -> str | None:
    for name in _LOG_NAMES:
        path = folder / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            with open(path, "rb") as handle:
                head = handle.read(SESSION_LINES_BYTES)
        except OSError:
            continue
        match = _LOGGED.search(head)
        if match:
            return match.group(1).decode("ascii")
    return None
