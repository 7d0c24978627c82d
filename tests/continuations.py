"""A `massgen --continue` run of MassGen 0.1.97, built from the bundled
tcp-udp sample the way MassGen lays it out: a second `log_*` folder whose
turn_1/attempt_1 holds only the follow-up question's events.jsonl, massgen.log
and metadata, and whose turn_2/attempt_1 holds the rest. The metadata records
the session it continues (`cli_args.session_id`, `continue_session: true`) and
massgen.log says "Using session from CLI: …", as MassGen writes them."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import yaml

from tests.samples import SAMPLE_RUNS

ORIGINAL = SAMPLE_RUNS / "massgen-0.1.97" / "tcp-udp-2agents-basic" / "log_20261124_045018_378157"
# What the original's massgen.log says it created ("Created session for single-question mode: …").
SESSION_ID = "session_20261124_045018"
FOLLOW_UP_NAME = "log_20261124_045100_000000"
FOLLOW_UP_QUESTION = "And where does QUIC fit in?"


def writable_copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    for folder, _, files in os.walk(target):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    return target


def continuation(parent: Path, *, session_id: str = SESSION_ID, name: str = FOLLOW_UP_NAME, turn: int = 2) -> Path:
    follow_up = parent / name
    stub, real = follow_up / "turn_1" / "attempt_1", follow_up / f"turn_{turn}" / "attempt_1"
    writable_copy(ORIGINAL / "turn_1" / "attempt_1", real)
    stub.mkdir(parents=True)
    for moved in ("events.jsonl", "massgen.log", "execution_metadata.yaml"):
        shutil.move(real / moved, stub / moved)
    metadata = yaml.safe_load((stub / "execution_metadata.yaml").read_text())
    metadata["query"] = FOLLOW_UP_QUESTION
    metadata["cli_args"].update(question=FOLLOW_UP_QUESTION, session_id=session_id, continue_session=True)
    (stub / "execution_metadata.yaml").write_text(yaml.safe_dump(metadata, sort_keys=False))
    status = json.loads((real / "status.json").read_text())
    status["meta"]["question"] = FOLLOW_UP_QUESTION
    (real / "status.json").write_text(json.dumps(status))
    log = (stub / "massgen.log").read_text()
    log = log.replace(f"Created session for single-question mode: {SESSION_ID}", f"Using session from CLI: {session_id}")
    (stub / "massgen.log").write_text(log.replace(f"Registered new session in registry: {SESSION_ID}\n", ""))
    return follow_up
