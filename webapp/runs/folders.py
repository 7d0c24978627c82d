"""Server folders: MassGen writes its `log_*` sessions into a folder on this
machine, and DEBRIEF_LOG_ROOTS gives each team at most one such folder.
Sessions are listed from it and imported by copying them into storage; the
folder itself is only ever read."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from analysis.massgen import RunFormatError
from analysis.massgen.clock import parse_folder_time
from analysis.massgen.layout import find_session_roots, is_flat_root, list_turns, search_folders
from analysis.massgen.metadata import read_metadata
from analysis.massgen.status import read_status
from analysis.massgen.versions import METRICS_SINCE, predates
from webapp.audit.services import SYSTEM
from webapp.runs.models import Run, RunSource
from webapp.runs.services import USER, UploadRejected, do_import_folder
from webapp.runs.services.staging import safe_relative_path
from webapp.teams.models import Team

log = logging.getLogger(__name__)

SESSION_PREFIX = "log_"
# A project's sessions are in `.massgen/massgen_logs/log_*`, two levels below it.
MAX_SCAN_DEPTH = 4
MAX_SCANNED_FOLDERS = 10_000
# The periodic import stops after this many per team and pass; the next pass goes on.
MAX_IMPORTS_PER_PASS = 20
# Without status.json (MassGen before 0.1.8), a finished session is one whose
# coordination_events.json ends with a session_end: only this much of its end is read.
SESSION_END_TAIL_BYTES = 64 * 1024
# MassGen 0.1.1 names its folders log_YYYYMMDD_HHMMSS (no microseconds).
_SHORT_FOLDER_TIME = re.compile(r"^log_(\d{8}_\d{6})$")


@dataclass(frozen=True)
class ServerSession:
    path: str  # relative to the team's root; what `do_import_server_session` takes
    name: str  # the log_* folder name
    started_at: datetime | None  # from the folder name, in this machine's time zone
    imported_run: Run | None  # the latest run imported from this path
    complete: bool  # MassGen finished it and its record is whole, judged as the reader does


def team_root(team: Team) -> Path | None:
    return settings.DEBRIEF_LOG_ROOTS.get(team.slug)


def list_server_sessions(team: Team) -> list[ServerSession]:
    """The sessions in the team's server folder, newest first."""
    root = team_root(team)
    if root is None or not root.is_dir():
        return []
    folders = _find_sessions(root)
    paths = [folder.relative_to(root).as_posix() for folder in folders]
    imported: dict[str, Run] = {}
    for run in Run.objects.filter(team=team, source_path__in=paths).order_by("created_at"):
        imported[run.source_path] = run  # the newest wins
    sessions = [
        ServerSession(path, folder.name, _started_at(folder.name), imported.get(path), is_complete(folder))
        for path, folder in zip(paths, folders)
    ]
    return sorted(sessions, key=lambda session: (session.started_at is not None, session.started_at, session.name), reverse=True)


def do_import_server_session(team: Team, relpath: str, user=None, *, actor=USER) -> tuple[Run, bool]:
    """Import one session of the team's server folder; refuses any path that
    is not a folder inside it (`..`, absolute paths, links leading out).
    `actor`: who the audit log names, by default `user`."""
    root = team_root(team)
    if root is None:
        raise UploadRejected("No server folder is configured for this team.")
    folder = (root / safe_relative_path(relpath.strip("/"))).resolve()
    if not folder.is_relative_to(root) or folder == root:
        raise UploadRejected(f"{relpath!r} is not inside the team's server folder.")
    if not folder.is_dir():
        raise UploadRejected(f"{relpath!r} is not a folder in the team's server folder.")
    return do_import_folder(team, folder, user, source=RunSource.FOLDER, source_path=folder.relative_to(root).as_posix(), actor=actor)


def import_new_server_sessions() -> list[Run]:
    """Import every complete session not imported yet, for every team with a
    server folder. A session that cannot be imported is logged and skipped."""
    created = []
    for team in Team.objects.filter(slug__in=list(settings.DEBRIEF_LOG_ROOTS)):
        new = [session for session in list_server_sessions(team) if session.complete and session.imported_run is None]
        for session in new[:MAX_IMPORTS_PER_PASS]:
            try:
                run, was_created = do_import_server_session(team, session.path, actor=SYSTEM)
            except UploadRejected as exc:
                log.warning("team %s: server session %s not imported: %s", team.slug, session.path, exc)
                continue
            if was_created:
                created.append(run)
    return created


def is_complete(session: Path) -> bool:
    """The reader's `complete` for the last attempt of the last turn, from which
    files exist (cheap enough for a listing; the reader itself reads every file):
    finished (status.json, rewritten every 2 s while MassGen runs; without one,
    metrics_summary.json or a session_end in coordination_events.json) and whole
    (coordination_events.json, and metrics_summary.json from MassGen 0.1.27).
    Works for the flat layout of 0.1.0-0.1.7 and for `--continue` runs."""
    try:
        roots = find_session_roots(session, session.name)
    except RunFormatError:
        return False
    root = roots[-1]  # a continuation's later run holds the last turn
    turns, _ = list_turns(root)
    if not turns:
        return False
    last_attempt = root / turns[-1].attempts[-1][1]
    has_metrics = _is_file(last_attempt / "metrics_summary.json")
    coordination = last_attempt / "coordination_events.json"
    try:
        status = read_status(last_attempt / "status.json", "status.json") if _is_file(last_attempt / "status.json") else None
    except RunFormatError:
        return False  # mid-write while MassGen runs
    if status is not None and status.is_complete is not None:
        finished = bool(status.is_complete)
    elif status is not None and status.finish_reason:
        finished = True
    else:
        finished = has_metrics or _ends_with_session_end(coordination)
    metrics_expected = not predates(_version(root, turns), METRICS_SINCE, flat_layout=is_flat_root(root))
    return finished and _is_file(coordination) and (has_metrics or not metrics_expected)


def _is_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _version(root: Path, turns) -> str | None:
    """The MassGen version of the first attempt whose metadata names one."""
    for turn in turns:
        for _, folder in turn.attempts:
            path = root / folder / "execution_metadata.yaml"
            if not _is_file(path):
                continue
            try:
                version = read_metadata(path, "execution_metadata.yaml").massgen_version
            except RunFormatError:
                continue
            if version:
                return version
    return None


def _ends_with_session_end(coordination: Path) -> bool:
    if not _is_file(coordination):
        return False
    try:
        with open(coordination, "rb") as handle:
            handle.seek(max(os.fstat(handle.fileno()).st_size - SESSION_END_TAIL_BYTES, 0))
            return b'"session_end"' in handle.read(SESSION_END_TAIL_BYTES)
    except OSError:
        return False


def _find_sessions(root: Path) -> list[Path]:
    found, complete = search_folders(
        root,
        # A log_* folder (any layout), or a renamed flat-layout session (0.1.0-0.1.7).
        lambda folder: folder.name.startswith(SESSION_PREFIX) or is_flat_root(folder),
        max_depth=MAX_SCAN_DEPTH,
        max_folders=MAX_SCANNED_FOLDERS,
        nearest_only=False,
    )
    if not complete:
        # A listing page must still show what it found, so a huge folder is only logged.
        log.warning("server folder %s: stopped looking after %d folders", root, MAX_SCANNED_FOLDERS)
    return found


def _started_at(name: str) -> datetime | None:
    local = parse_folder_time(name)
    if local is None and (short := _SHORT_FOLDER_TIME.match(name)):
        local = datetime.strptime(short.group(1), "%Y%m%d_%H%M%S")
    return local.astimezone() if local else None
