"""Follow-up questions about an analysed run (issue 7.7).

The conversation is a list of Responses-API input items, starting with the
analysis report as an assistant message. Every request sends the digest first
(verbatim, never compressed), then the history, then the question. When that
passes `threshold_fraction` of the model's budget, the history is shrunk first:
through /responses/compact for models that support it (the compacted window
becomes the new history), otherwise by summarising it into one message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analysis.report.input import RawPart
from analysis.compression import PROCESS_COMPACTION_MEMORY, Applied, CompactionSupportMemory
from analysis.llm.budget import DoesNotFit, input_budget, output_reserve
from analysis.llm.calls import CallRecord, assistant_message, total_cost, total_usage, user_message
from analysis.llm.client import call_model
from analysis.llm.errors import CompactionUnsupported, ContextLengthExceeded, TransientLLMError
from analysis.llm.ledger import MemoryLedger, SpendLedger, metered
from analysis.llm.runners import LiveRunner, foreseen
from analysis.compression.summarise import REFERENCES_TO_KEEP, summarise
from analysis.llm.tokens import count_input_tokens, item_text
from analysis.llm.usage import Usage
from analysis.llm.modelinfo import ModelInfo

# Shrink before the window is full, and well below the threshold, so that the
# next few turns fit without shrinking again.
FOLLOWUP_THRESHOLD_FRACTION = 0.8
SHRUNK_TARGET_FRACTION = 0.5

FOLLOWUP_INSTRUCTIONS = (
    "You are Debrief, answering follow-up questions about one MassGen multi-agent run that you have "
    "analysed. The run's key facts (a digest with exact figures) come first, then the conversation so "
    "far, possibly compacted or summarised. Answer the last question concisely in Markdown, citing "
    "evidence exactly as the material writes it (answer labels such as agent1.2, vote labels, agent "
    "ids, file paths, section keys in square brackets). Say so when the material cannot answer it."
)
HISTORY_COMPACTION_INSTRUCTIONS = (
    "Compact this conversation about a MassGen run so the questions that follow can still be "
    "answered. " + REFERENCES_TO_KEEP
)
DIGEST_HEADING = "# Key facts of the run (the digest: exact figures computed from the logs)"
SUMMARY_HEADING = "Summary of the conversation so far:"
ANSWER_PHASE = "followup"  # the ledger's phase of every call of a turn
ROLE_TITLES = {"user": "Question", "assistant": "Debrief's answer"}


@dataclass(frozen=True)
class FollowupAnswer:
    text: str
    usage: Usage  # all calls of this turn, shrinking included
    cost_usd: float
    history: list[dict[str, Any]]  # pass this to the next ask()
    calls: list[CallRecord]
    shrunk: Applied  # how the history was shrunk this turn: none | native | summarize
    fallback_reason: str | None = None


def ask(
    model: ModelInfo,
    history: Sequence[dict[str, Any]],
    question: str,
    digest: str,
    *,
    api_key: str | None,
    timeout: float,
    threshold_fraction: float = FOLLOWUP_THRESHOLD_FRACTION,
    memory: CompactionSupportMemory | None = None,
    summariser: ModelInfo | None = None,
    summariser_api_key: str | None = None,
    ledger: SpendLedger | None = None,
) -> FollowupAnswer:
    """The answer to `question`. Every call of the turn (compaction, summaries, the
    answer) goes through `ledger` (analysis.llm.ledger), which keeps what it cost."""
    keys = {model.name: api_key}
    if summariser is not None:
        keys[summariser.name] = summariser_api_key or api_key
    ledger = ledger if ledger is not None else MemoryLedger()
    runner = LiveRunner(keys, timeout, ledger, ANSWER_PHASE)
    turn = _Turn(model, digest, question, runner, memory or PROCESS_COMPACTION_MEMORY)
    history = list(history)
    shrunk: Applied = "none"
    reason = None
    if turn.tokens(history) > threshold_fraction * turn.budget:
        history, shrunk, reason = turn.shrink(history, summariser or model)
    request = turn.request(history)
    # Its output guessed as the answer's reservation guesses it: the whole reserve.
    estimate = foreseen("followup", model, turn.tokens(history), output_reserve(model))
    reply = metered(ledger, estimate, ANSWER_PHASE, lambda: call_model(
        model,
        instructions=FOLLOWUP_INSTRUCTIONS,
        input_items=request,
        json_schema=None,
        api_key=api_key,
        timeout=timeout,
        max_output_tokens=output_reserve(model),
    ))
    answer = CallRecord("followup", model.name, reply.usage, reply.cost_usd, reply.response_id)
    ledger.record_call(answer, ANSWER_PHASE)
    calls = [*runner.calls, answer]
    return FollowupAnswer(
        text=reply.text,
        usage=total_usage(calls),
        cost_usd=total_cost(calls),
        history=[*history, user_message(question), assistant_message(reply.text)],
        calls=calls,
        shrunk=shrunk,
        fallback_reason=reason,
    )


class _Turn:
    def __init__(
        self, model: ModelInfo, digest: str, question: str, runner: LiveRunner, memory: CompactionSupportMemory
    ):
        self.model = model
        self.digest_item = user_message(f"{DIGEST_HEADING}\n\n{digest}")
        self.question_item = user_message(question)
        self.runner = runner
        self.memory = memory
        self.budget = input_budget(model)
        fixed = self.tokens([])
        if fixed > self.budget:
            raise DoesNotFit(fixed, self.budget, model, "The digest and the question")

    def request(self, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.digest_item, *history, self.question_item]

    def tokens(self, history: list[dict[str, Any]]) -> int:
        return count_input_tokens(self.model, FOLLOWUP_INSTRUCTIONS, self.request(history), self.runner.opaque_tokens)

    def shrink(
        self, history: list[dict[str, Any]], summariser: ModelInfo
    ) -> tuple[list[dict[str, Any]], Applied, str | None]:
        """(new history, how it was shrunk, why not natively)"""
        reason = None
        if self.model.api == "responses" and self.model.supports_native_compaction:
            reason = self.memory.unsupported_reason(self.model)
            if reason is None:
                try:
                    return self.runner.compact(self.model, HISTORY_COMPACTION_INSTRUCTIONS, history), "native", None
                except CompactionUnsupported as error:
                    self.memory.remember_unsupported(self.model, error.message)
                    reason = f"compaction unsupported: {error.message}"
                except TransientLLMError as error:
                    if error.status_code == 429:
                        raise  # a person is waiting: say so rather than pay for a summary instead
                    reason = f"compaction failed for now: {error.message}"
                except ContextLengthExceeded as error:
                    reason = f"history too long to compact: {error.message}"
        return self._summarised(history, summariser), "summarize", reason

    def _summarised(self, history: list[dict[str, Any]], summariser: ModelInfo) -> list[dict[str, Any]]:
        # Encrypted items cannot be summarised; the Responses API still takes them as they are.
        kept = [item for item in history if item.get("type") == "compaction" and self.model.api == "responses"]
        parts = [
            RawPart(f"turn{index}", ROLE_TITLES.get(str(item.get("role")), "Message"), item_text(item))
            for index, item in enumerate(history, start=1)
            if item.get("type", "message") == "message"
        ]

        def shrunk_history(text: str) -> list[dict[str, Any]]:
            return [*kept, assistant_message(f"{SUMMARY_HEADING}\n\n{text}")]

        text = summarise(
            summariser,
            parts,
            runner=self.runner,
            target=self.model,
            budget=int(SHRUNK_TARGET_FRACTION * self.budget),
            final_tokens=lambda text: self.tokens(shrunk_history(text)),
            on_stage=lambda purpose, detail: None,
        )
        return shrunk_history(text)
