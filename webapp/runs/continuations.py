"""A `massgen --continue` run that reaches Debrief on its own (uploaded, imported
or sent through the API after, or before, the run it continues) is joined with
that run, in the same team only.

The design, and why: the continued run is re-read from both stored folders, the
way a session uploaded together with its continuation is read (one code path:
`analysis.massgen.reader` chains `log_*` folders whose turns follow on), so its
page, its summary JSON, its digest and its analyses show every turn of the
session, as a person who ran `massgen --continue` expects. The continuation
stays a run of its own (its upload answered with its id, which must keep
working), pointing at the run it continues (`continues`, shown both ways and in
the API as added fields). Nothing is renamed or removed from any contract.

The link is what MassGen records (analysis/massgen/session_ids.py): the
continuation's session id (`cli_args.session_id`, "Using session from CLI")
equals the one the first run created ("Created session ...: S"). Joining is
idempotent: a continuation whose turns the run already holds (joined before, or
uploaded together with it) is only linked; attempt rows keep their ids."""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path, PurePosixPath

from django.db import transaction
from django.db.models import Q

from analysis.massgen import RunFormatError, read_session
from analysis.massgen.layout import find_session_roots, is_flat_root
from webapp.runs import storage
from webapp.runs.models import Attempt, Run, RunStatus
from webapp.runs.reading import RunVanished, prepare, store

log = logging.getLogger(__name__)

_LOG_FOLDER = re.compile(r"^log_\d{8}_\d{6}_\d{6}$")
_PLAIN_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def join_session(run: Run) -> Run | None:
    """Join a ready run with the team's runs of the same MassGen session: a
    continuation with the run it continues, a first run with the continuations
    that arrived before it. Returns the run that now holds the whole session,
    or None when there is nothing to join. Never raises for a run that cannot
    be joined: the runs stay as they are, and the worker log says why."""
    if run.status != RunStatus.READY or not run.massgen_session_id:
        return None
    if run.continues_session_id:
        head = first_run_of(run.team_id, run.continues_session_id, excluding=run.pk)
        continuations = [run]
    else:
        head = run
        # Those not joined with another copy of this run already (the same session
        # uploaded twice as different bytes): a continuation keeps the run it joined.
        continuations = list(
            Run.objects.filter(team_id=run.team_id, status=RunStatus.READY, continues_session_id=run.massgen_session_id)
            .filter(Q(continues__isnull=True) | Q(continues=run))
            .exclude(pk=run.pk)
            .order_by("created_at")
        )
    if head is None or not continuations:
        return None
    try:
        return _join(head, continuations)
    except (RunFormatError, RunVanished, OSError) as exc:
        log.warning("run %s: could not be joined with %s: %s", head.pk, [str(item.pk) for item in continuations], exc)
        return None


def first_run_of(team_id, session_id: str, *, excluding=None) -> Run | None:
    """The team's first ready run that started MassGen session `session_id`."""
    return (
        Run.objects.filter(team_id=team_id, status=RunStatus.READY, massgen_session_id=session_id, continues_session_id="")
        .exclude(pk=excluding)
        .order_by("created_at")
        .first()
    )


def _turns(run: Run) -> set[int]:
    return set(Attempt.objects.filter(run=run).values_list("turn", flat=True))


def _join(head: Run, continuations: list[Run]) -> Run:
    with transaction.atomic():
        # One join of a session at a time: a second worker waits here (PostgreSQL).
        head = Run.objects.select_for_update().get(pk=head.pk)
        if head.status != RunStatus.READY or not head.storage_path:
            raise RunVanished()
        # The head's whole run folder, on this machine (storage.editing): continuations
        # are copied in beside its session and the result read as one.
        with storage.editing(storage.run_folder(head.team_id, head.pk)) as workspace:
            base = workspace.path
            root = _local_root(head, workspace)
            changed = False
            for continuation in continuations:
                changed |= _place(head, base, root, continuation)
            prepared = None
            if changed:
                session = read_session(_sessions_folder(head, base, root), session_id=head.session_id or None)
                prepared = prepare(head, session, workspace)
        if prepared is not None:
            store(head, prepared, expected=RunStatus.READY)
        Run.objects.filter(pk__in=[item.pk for item in continuations]).update(continues=head)
    head.refresh_from_db()
    return head


def _local_root(head: Run, workspace: storage.Workspace) -> Path:
    """The head's stored session root (`storage_path`) inside its run folder's workspace."""
    inside = head.storage_path.removeprefix(workspace.folder).strip("/")
    return workspace.path / inside if inside else workspace.path


def _place(head: Run, base: Path, root: Path, continuation: Run) -> bool:
    """Put the continuation's stored session beside the head's own; False when
    the head already holds it."""
    if not continuation.storage_path or not continuation.files.exists():
        raise RunFormatError(str(continuation.pk), "has no stored files")
    head_turns, its_turns = _turns(head), _turns(continuation)
    name = _folder_name(continuation)
    beside = _sessions_folder(head, base, root, move=False)
    if its_turns <= head_turns and (continuation.continues_id == head.pk or (beside is not None and (beside / name).is_dir())):
        return False  # joined already, or uploaded together with the session before
    if its_turns & head_turns:
        raise RunFormatError(continuation.original_name or str(continuation.pk), f"repeats turns {sorted(its_turns & head_turns)} of run {head.pk}")
    target = _sessions_folder(head, base, root) / name
    if target.exists():
        target = target.with_name(f"{name}-{continuation.pk.hex[:8]}")
    with storage.session_folder(continuation) as source:
        _copy_tree(source, target)
    return True


def _folder_name(continuation: Run) -> str:
    name = PurePosixPath(continuation.storage_path).name
    if _LOG_FOLDER.match(name) or continuation.storage_path != storage.run_folder(continuation.team_id, continuation.pk):
        return name
    return _PLAIN_NAME.sub("_", continuation.session_id or "")[:100].strip("._") or f"continuation-{continuation.pk.hex[:8]}"


def _sessions_folder(head: Run, base: Path, root: Path, *, move: bool = True) -> Path | None:
    """The folder that holds the head's session root(s) side by side, where a
    continuation goes and which is read as the whole session: the parent of a
    run stored as one session (`…/log_*`), the folder of a run stored as several
    (read together). A run whose turns sat straight in its storage folder (an
    archive without its log folder) is moved one level down first (None with
    `move=False`). The head's rows get the new paths from the re-read that follows."""
    if not _is_one_session(root):
        return root
    if root.resolve() != base.resolve():
        return root.parent
    if not move:
        return None
    inner = base / (_PLAIN_NAME.sub("_", head.session_id or "")[:100].strip("._") or "session")
    staging = base.with_name(f".{base.name}.joining")
    shutil.rmtree(staging, ignore_errors=True)
    os.replace(base, staging)
    base.mkdir()
    os.replace(staging, inner)
    return base


def _is_one_session(folder: Path) -> bool:
    if is_flat_root(folder):
        return True
    try:
        return find_session_roots(folder, folder.name) == [folder]
    except RunFormatError:
        return False


def _copy_tree(source: Path, target: Path) -> None:
    """Hard links where the filesystem allows (stored files are never changed
    in place after ingest), copies elsewhere."""

    def link_or_copy(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=False, copy_function=link_or_copy)
