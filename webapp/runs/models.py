"""A stored MassGen run and the rows ingest derives from it.

Ingest reads an archive once and writes everything pages need into these
tables, so no page ever re-parses a run. Row tables hang off `Attempt` (a run
has turns, a turn has attempts); each has a `position` that keeps the reader's
order. Token and cost figures mirror `analysis.massgen.model`."""

from __future__ import annotations

import uuid
from django.conf import settings
from django.db import models
from django.db.models import TextField

TITLE_CHARS = 120
# Raised when what the reader makes of the same files changes (1: unknown figures NULL,
# restarts, provider retries, MassGen session links; 2: files an archive held beside the
# session are no longer kept, unscrubbed, in the run's folder); runs read with an older
# one are stale.
READER_REVISION = 2


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class RunSource(models.TextChoices):
    UPLOAD = "upload", "Browser upload"
    API = "api", "API"
    FOLDER = "folder", "Server folder"
    DEMO = "demo", "Demo"


# The Run columns that hold documents (the reader's summary can be hundreds of KB):
# views that need only the run's identity and status defer them.
RUN_DOCUMENT_FIELDS = ("summary", "skipped_files", "warnings", "retry_log")


class Run(models.Model):
    """One uploaded or imported MassGen session (a `log_*` folder).

    Created `queued` when the bytes are staged; the ingest task moves it to
    `processing` and then `ready` (rows below written) or `failed` (`error`
    says why, in words a person understands). The list page reads only this
    table: the question, winner, models and totals are denormalised from the
    accepted attempt of turn 1 (tokens and cost: summed over the whole run)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="runs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=10, choices=RunSource.choices)
    original_name = models.CharField(max_length=255, blank=True)  # the uploaded file or folder name
    source_path = models.CharField(max_length=1024, blank=True)  # server folders: the session, relative to the team's root
    sha256 = models.CharField(max_length=64)  # of the archive as received (folders: of their canonical tar)
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when an ingest task last took the run
    # The ingest's claim (webapp/core/leases.py): held until `lease_expires_at`, renewed while
    # the worker reads; `deliveries` counts claims and `retry_log` the planned retries.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=0)
    retry_log = models.JSONField(default=list, blank=True)
    storage_path = models.CharField(max_length=1024, blank=True)  # the session root's name in the store (webapp/runs/storage.py)

    session_id = models.CharField(max_length=255, blank=True)
    massgen_version = models.CharField(max_length=50, blank=True)
    # Searched with icontains (the `q` filter), which no B-tree index can serve.
    question = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    winner = models.CharField(max_length=255, blank=True)
    finish_reason = models.CharField(max_length=50, blank=True)
    turn_count = models.PositiveIntegerField(default=0)
    agent_count = models.PositiveIntegerField(default=0)
    vote_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # NULL: the run's MassGen version never recorded usage (0.1.1), not zero.
    input_tokens = models.BigIntegerField(default=0, null=True, blank=True)
    output_tokens = models.BigIntegerField(default=0, null=True, blank=True)
    reasoning_tokens = models.BigIntegerField(default=0, null=True, blank=True)
    cached_input_tokens = models.BigIntegerField(default=0, null=True, blank=True)
    cost_usd = models.FloatField(default=0.0, null=True, blank=True)
    summary = models.JSONField(null=True, blank=True)  # the reader's `--json` contract (format_version 1)
    # Files a folder upload or import left out, per SKIPPED_FOLDERS name (services/staging.py).
    skipped_files = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)  # session-level reader and ingest warnings
    # The MassGen session this run belongs to (`session_YYYYMMDD_HHMMSS`, analysis/massgen/session_ids.py),
    # and, for a `massgen --continue` run (its turns start after turn 1), the same id again.
    massgen_session_id = models.CharField(max_length=120, blank=True)
    continues_session_id = models.CharField(max_length=120, blank=True)
    # A continuation uploaded on its own points at the team's run it continues; that run
    # is re-read with the continuation's stored folder beside its own (services/sessions.py).
    continues = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="continuations")
    # The reader revision (READER_REVISION) the rows were built with; 0: before revision 1,
    # when unknown figures were still stored as 0. `debrief runs reread --stale` reads those again.
    reader_revision = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Declared last: inside the class body this name hides the `models` module.
    models = TextField(blank=True)  # the agents' model names, comma-joined, for filtering

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["team", "sha256"], name="one_run_per_archive_per_team")]
        indexes = [
            models.Index(fields=["team", "-created_at"], name="run_team_created"),
            models.Index(fields=["team", "started_at"], name="run_team_started"),
            models.Index(fields=["team", "cost_usd"], name="run_team_cost"),
            models.Index(fields=["team", "duration_seconds"], name="run_team_duration"),
            models.Index(fields=["team", "status", "-created_at"], name="run_team_status"),
            models.Index(fields=["team", "source_path"], name="run_team_source_path"),
            models.Index(fields=["team", "massgen_session_id"], name="run_team_massgen_session"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/runs/{self.pk}/"

    @property
    def title(self) -> str:
        """The question, shortened to one line; the file name until ingest is done."""
        text = " ".join(self.question.split()) or self.original_name or str(self.pk)
        return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"

    @property
    def model_list(self) -> list[str]:
        return [name for name in self.models.split(",") if name]

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.READY, RunStatus.FAILED)


class Attempt(models.Model):
    """One attempt of one turn. MassGen restarts a turn by opening a new attempt;
    the last attempt of a turn is the accepted one. `totals` and
    `rounds_by_outcome` have the shapes of the summary contract."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="attempts")
    turn = models.PositiveIntegerField()
    attempt = models.PositiveIntegerField()
    accepted = models.BooleanField(default=False)
    complete = models.BooleanField(default=False)
    finish_reason = models.CharField(max_length=50, blank=True)
    finish_details = models.TextField(blank=True)
    question = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    winner = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=1024, blank=True)  # the attempt folder, relative to the session root
    final_answer_path = models.CharField(max_length=1024, blank=True)
    final_answer_chars = models.PositiveIntegerField(null=True, blank=True)
    final_answer_preview = models.TextField(blank=True)
    # input/output/reasoning/cached tokens, cost_usd, subagent_cost_usd; null values where MassGen recorded none
    totals = models.JSONField(default=dict, blank=True)
    rounds_by_outcome = models.JSONField(default=dict, blank=True)
    tool_calls = models.PositiveIntegerField(default=0, null=True, blank=True)  # NULL: not recorded (MassGen 0.1.1)
    tool_failures = models.PositiveIntegerField(default=0, null=True, blank=True)
    # A restarted attempt: the agent whose final answer post-evaluation rejected, and why
    # (the next attempt's metadata); NULL when not restarted or nothing records it.
    presented_by = models.CharField(max_length=255, null=True, blank=True)
    restart_reason = models.TextField(null=True, blank=True)
    previous_restart_reason = models.TextField(null=True, blank=True)  # why the attempt before this one was restarted
    likely_crash = models.BooleanField(default=False)  # post-evaluation began, no verdict, no restart followed
    config = models.JSONField(default=dict, blank=True)  # the run's config, scrubbed
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["turn", "attempt"]
        constraints = [models.UniqueConstraint(fields=["run", "turn", "attempt"], name="one_row_per_attempt")]

    def __str__(self) -> str:
        return f"turn {self.turn} attempt {self.attempt}"


class AttemptRow(models.Model):
    """What every per-attempt row shares: its attempt, its run (for queries
    across a run's attempts) and its place in the reader's order."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+")
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="%(class)ss")
    position = models.PositiveIntegerField()

    class Meta:
        abstract = True
        ordering = ["attempt_id", "position"]
        indexes = [models.Index(fields=["attempt", "position"], name="%(class)s_attempt_pos")]


class AgentRow(AttemptRow):
    """One agent of an attempt (`attempt.agentrows`): backend, model, tokens,
    cost and counts. `agent` is MassGen's agent id."""

    agent = models.CharField(max_length=255)
    backend = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=255, blank=True)
    # Tokens, cost and enforcement retries are NULL when the run's MassGen version
    # never recorded them (0.1.1 has no status.json): unknown, not zero.
    input_tokens = models.BigIntegerField(default=0, null=True, blank=True)
    output_tokens = models.BigIntegerField(default=0, null=True, blank=True)
    reasoning_tokens = models.BigIntegerField(default=0, null=True, blank=True)
    cached_input_tokens = models.BigIntegerField(default=0, null=True, blank=True)
    cost_usd = models.FloatField(default=0.0, null=True, blank=True)
    answers = models.PositiveIntegerField(default=0)
    votes_cast = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    enforcement_retries = models.PositiveIntegerField(default=0, null=True, blank=True)
    status = models.CharField(max_length=50, blank=True)
    times_restarted = models.PositiveIntegerField(default=0)
    # The summary's `agents[].restarts` (restart_completed events) and `provider_retries`
    # (MassGen's own back-offs); NULL on runs ingested before these columns or, for
    # provider_retries, when neither massgen.log nor events.jsonl exists.
    restarts = models.PositiveIntegerField(null=True, blank=True)
    provider_retries = models.PositiveIntegerField(null=True, blank=True)
    config = models.JSONField(default=dict, blank=True)  # the agent's backend block, scrubbed


class AnswerRow(AttemptRow):
    """An answer an agent gave (`attempt.answerrows`), labelled agentN.M. Paths
    are relative to the session root; `preview` is the first characters."""

    label = models.CharField(max_length=100)
    agent = models.CharField(max_length=255)
    at = models.DateTimeField(null=True, blank=True)
    round = models.IntegerField(null=True, blank=True)
    path = models.CharField(max_length=1024, blank=True)
    size = models.BigIntegerField(default=0)  # bytes
    preview = models.TextField(blank=True)
    context_path = models.CharField(max_length=1024, blank=True)
    trace_path = models.CharField(max_length=1024, blank=True)


class VoteRow(AttemptRow):
    """A vote, in the order cast (`attempt.voterows`); replaced votes included,
    as MassGen records every vote_cast."""

    voter = models.CharField(max_length=255)
    voted_for = models.CharField(max_length=255, blank=True)
    label = models.CharField(max_length=100, blank=True)  # the answer voted for
    reason = models.TextField(blank=True)
    at = models.DateTimeField(null=True, blank=True)
    round = models.IntegerField(null=True, blank=True)
    trace_path = models.CharField(max_length=1024, blank=True)


class EventRow(AttemptRow):
    """A timeline event (`attempt.eventrows`): session_start, answer, vote,
    vote_ignored, restart, error, timeout, final_selected, final_answer, session_end."""

    at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(max_length=50)
    agent = models.CharField(max_length=255, blank=True)
    label = models.CharField(max_length=100, blank=True)
    details = models.TextField(blank=True)


class RoundRow(AttemptRow):
    """One round of one agent (`attempt.roundrows`) with its token use and cost."""

    agent = models.CharField(max_length=255)
    number = models.IntegerField(null=True, blank=True)
    type = models.CharField(max_length=50, blank=True)  # initial_answer, voting, presentation, post_evaluation, ...
    outcome = models.CharField(max_length=50, blank=True)  # answer, vote, presentation, restarted, error, timeout, ...
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    reasoning_tokens = models.BigIntegerField(default=0)
    cached_input_tokens = models.BigIntegerField(default=0)
    cost_usd = models.FloatField(default=0.0)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    token_source = models.CharField(max_length=50, blank=True)


class ErrorRow(AttemptRow):
    """An error or timeout (`attempt.errorrows`), with the file it was read from."""

    agent = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=20)  # error | timeout
    message = models.TextField()
    at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=1024, blank=True)


class ToolRow(AttemptRow):
    """Calls, failures and time of one tool (`attempt.toolrows`)."""

    name = models.CharField(max_length=255)
    calls = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    total_ms = models.FloatField(default=0.0)


class ReliabilityRow(AttemptRow):
    """How often MassGen had to re-prompt one agent (`attempt.reliabilityrows`);
    the individual re-prompts are its `enforcements`."""

    agent = models.CharField(max_length=255)
    total_retries = models.PositiveIntegerField(default=0)
    buffer_chars_lost = models.BigIntegerField(default=0)
    workflow_errors = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=50, blank=True)


class EnforcementRow(AttemptRow):
    """One enforcement retry (`attempt.enforcementrows`, or
    `reliability.enforcements`): the agent answered without a workflow tool
    call, or similar, and MassGen asked again."""

    reliability = models.ForeignKey(ReliabilityRow, on_delete=models.CASCADE, related_name="enforcements")
    agent = models.CharField(max_length=255)
    round = models.IntegerField(null=True, blank=True)
    retry = models.IntegerField(null=True, blank=True)  # MassGen's attempt number for this re-prompt
    reason = models.TextField(blank=True)
    error_message = models.TextField(blank=True)
    buffer_chars = models.BigIntegerField(default=0)


class RunFile(models.Model):
    """A regular file of the stored session, for the raw-file browser. `path` is
    relative to the session root (`run.storage_path` in the store), with forward slashes."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=1024)
    size = models.BigIntegerField()

    class Meta:
        ordering = ["run", "path"]
        constraints = [models.UniqueConstraint(fields=["run", "path"], name="one_row_per_run_file")]

    def __str__(self) -> str:
        return self.path
