"""Runs the bundled samples do not hold, derived from them the way MassGen lays
those runs out: an orchestration restart whose tracker MassGen reset (with the
restart reason in the next attempt's metadata), a timeout whose agents kept
voting on answers that had changed, and a crash in post-evaluation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.reader.support import attempt_folder, sample, writable_copy

SPLIT = sample("crisis2008-3agents-split-vote", "0.1.43")
RESTART_REASON = "The answer omits the 2008 bank bail-outs; revise it."
TIMEOUT_DETAILS = "Orchestrator timeout after 300s"


def reset_tracker(folder: Path) -> None:
    """What MassGen leaves in the restarted attempt: a tracker reset near the
    restart, so coordination_events.json and status.json start 0.1 s before the end."""
    events = json.loads((folder / "coordination_events.json").read_text())
    status = json.loads((folder / "status.json").read_text())
    end = status["meta"]["start_time"] + status["meta"]["elapsed_seconds"]
    kept = [event for event in events["events"] if event["event_type"] in ("session_start", "session_end")][:1]
    events["events"] = [dict(kept[0], timestamp=end - 0.1), {"timestamp": end, "event_type": "session_end", "agent_id": None,
                                                                "details": "Session completed in 0.1s", "context": {}}]
    events["session_metadata"].update(start_time=end - 0.1, end_time=end, final_winner=None)
    (folder / "coordination_events.json").write_text(json.dumps(events))
    status["meta"].update(start_time=end - 0.1, elapsed_seconds=0.1)
    status["is_complete"] = False
    status["finish_reason"] = "in_progress"
    (folder / "status.json").write_text(json.dumps(status))
    for name in ("metrics_summary.json", "metrics_events.json"):
        (folder / name).unlink()


def restarted_run(parent: Path) -> Path:
    """The split-vote run restarted once by post-evaluation: attempt 1 (tracker
    reset) and attempt 2, whose metadata has the reason and no config."""
    copy = writable_copy(SPLIT.run, parent)
    first, second = attempt_folder(copy), attempt_folder(copy, attempt=2)
    shutil.copytree(first, second)
    reset_tracker(first)
    metadata = yaml.safe_load((second / "execution_metadata.yaml").read_text())
    metadata.pop("config")
    metadata["coordination"] = {"restart_reason": RESTART_REASON}
    (second / "execution_metadata.yaml").write_text(yaml.safe_dump(metadata))
    return copy


def timed_out_run(parent: Path, ignored_votes: int) -> Path:
    """The split-vote run ended by the orchestrator's timeout, after
    `ignored_votes` votes that arrived for answers that had changed."""
    copy = writable_copy(SPLIT.run, parent)
    folder = attempt_folder(copy)
    status = json.loads((folder / "status.json").read_text())
    status.update(finish_reason="timeout", finish_reason_details=TIMEOUT_DETAILS, is_complete=True)
    (folder / "status.json").write_text(json.dumps(status))
    events = json.loads((folder / "coordination_events.json").read_text())
    start = events["events"][0]["timestamp"]
    agents = events["session_metadata"]["agent_ids"]
    events["events"][1:1] = [
        {"timestamp": start + 1 + index * 0.01, "event_type": "vote_ignored", "agent_id": agents[index % len(agents)],
         "details": f"VOTE_IGNORED: Voted for {agents[(index + 1) % len(agents)]} but ignored due to restart",
         "context": {"iteration": index, "round": 1}}
        for index in range(ignored_votes)
    ]
    (folder / "coordination_events.json").write_text(json.dumps(events))
    return copy


def crashed_run(parent: Path) -> Path:
    """The split-vote run stopped in post-evaluation: no verdict, no restart,
    no end-of-run files (MassGen itself crashed)."""
    copy = writable_copy(SPLIT.run, parent)
    folder = attempt_folder(copy)
    status = json.loads((folder / "status.json").read_text())
    status.update(is_complete=False, finish_reason="in_progress")
    status["coordination"]["phase"] = "post_evaluation"
    (folder / "status.json").write_text(json.dumps(status))
    for name in ("metrics_summary.json", "coordination_events.json"):
        (folder / name).unlink()
    return copy
