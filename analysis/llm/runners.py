"""Who makes the calls compression and follow-ups need. The live runner calls the
provider; the plan runner counts each call's input exactly and assumes its output,
so that a cost preview walks through the very same steps as the run."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from analysis.llm.calls import CallRecord, Purpose
from analysis.llm.client import call_model
from analysis.llm.compact import compact
from analysis.llm.ledger import MemoryLedger, SpendLedger, metered
from analysis.llm.tokens import RequestTokenCounter, count_input_tokens
from analysis.llm.usage import Usage, cost_usd
from analysis.llm.modelinfo import ModelInfo

# Planning assumptions: what a preview cannot know before the calls are made.
COMPACTION_OUTPUT_RATIO = 0.05  # compacted window / compacted input
SUMMARY_OUTPUT_RATIO = 0.2  # summary / summarised input, within the summary's cap
# A foreseen summary is stood in for by this one-token word repeated: four characters,
# so litellm's 1,024-character counting slices never split one and the count is exact.
STAND_IN_TOKEN = " the"

OnCall = Callable[[CallRecord], None]
Items = list[dict[str, Any]]


class CallRunner:
    def __init__(self, token_counter: RequestTokenCounter):
        self.token_counter = token_counter
        self.calls: list[CallRecord] = []
        self.opaque_tokens: dict[str, int] = {}  # compaction item id -> tokens it stands for

    def count(
        self,
        model: ModelInfo,
        instructions: str,
        items: Sequence[Mapping[str, Any]],
        json_schema: Mapping[str, Any] | None = None,
    ) -> int:
        return self.token_counter(model, instructions, items, self.opaque_tokens, json_schema=json_schema)

    def compact_estimate(self, model: ModelInfo, instructions: str, items: Items) -> CallRecord:
        """What a compaction call will cost: its input counted, its output a share of it."""
        input_tokens = self.count(model, instructions, items)
        return foreseen("compact", model, input_tokens, max(1, math.ceil(COMPACTION_OUTPUT_RATIO * input_tokens)))

    def generate_estimate(self, model: ModelInfo, instructions: str, items: Items, max_output_tokens: int) -> CallRecord:
        """What a summary call will cost: its input counted, its output a share of it within its cap."""
        input_tokens = self.count(model, instructions, items)
        output_tokens = min(max_output_tokens, max(1, math.ceil(SUMMARY_OUTPUT_RATIO * input_tokens)))
        return foreseen("summarize", model, input_tokens, output_tokens)

    def compact(self, model: ModelInfo, instructions: str, items: Items) -> Items:
        """The compacted window (kept user messages and a compaction item)."""
        raise NotImplementedError

    def generate(self, model: ModelInfo, instructions: str, items: Items, max_output_tokens: int) -> str:
        """A summary's text."""
        raise NotImplementedError


class LiveRunner(CallRunner):
    """Makes the calls, each through `ledger` (analysis.llm.ledger): started at the
    estimate a plan would make of it, then confirmed, refused or unconfirmed."""

    def __init__(
        self, api_keys: Mapping[str, str | None], timeout: float, ledger: SpendLedger | None = None, phase: str = ""
    ):
        super().__init__(count_input_tokens)
        self.api_keys = api_keys  # model name -> key
        self.timeout = timeout
        self.ledger: SpendLedger = ledger if ledger is not None else MemoryLedger()
        self.phase = phase

    def _record(self, call: CallRecord) -> None:
        self.calls.append(call)
        self.ledger.record_call(call, self.phase)

    def compact(self, model, instructions, items):
        estimate = self.compact_estimate(model, instructions, items)
        reply = metered(self.ledger, estimate, self.phase, lambda: compact(
            model, input_items=items, instructions=instructions, api_key=self.api_keys[model.name], timeout=self.timeout
        ))
        for item in reply.output_items:
            if item.get("type") == "compaction":
                # The provider does not say what the item will cost later; what it cost to write is the best guess.
                self.opaque_tokens[str(item.get("id"))] = reply.usage.output_tokens
        self._record(CallRecord("compact", model.name, reply.usage, reply.cost_usd, reply.response_id))
        return reply.output_items

    def generate(self, model, instructions, items, max_output_tokens):
        estimate = self.generate_estimate(model, instructions, items, max_output_tokens)
        reply = metered(self.ledger, estimate, self.phase, lambda: call_model(
            model,
            instructions=instructions,
            input_items=items,
            json_schema=None,
            api_key=self.api_keys[model.name],
            timeout=self.timeout,
            max_output_tokens=max_output_tokens,
        ))
        self._record(CallRecord("summarize", model.name, reply.usage, reply.cost_usd, reply.response_id))
        return reply.text


class PlanRunner(CallRunner):
    def foreseen(self, purpose: Purpose, model: ModelInfo, input_tokens: int, output_tokens: int) -> CallRecord:
        return foreseen(purpose, model, input_tokens, output_tokens)

    def compact(self, model, instructions, items):
        call = self.compact_estimate(model, instructions, items)
        item_id = f"planned_compaction_{len(self.calls)}"
        self.opaque_tokens[item_id] = call.usage.output_tokens
        self.calls.append(call)
        kept = [item for item in items if item.get("role") == "user"]  # compaction keeps user messages verbatim
        return [*kept, {"type": "compaction", "id": item_id, "encrypted_content": ""}]

    def generate(self, model, instructions, items, max_output_tokens):
        call = self.generate_estimate(model, instructions, items, max_output_tokens)
        self.calls.append(call)
        return STAND_IN_TOKEN * call.usage.output_tokens


def foreseen(purpose: Purpose, model: ModelInfo, input_tokens: int, output_tokens: int) -> CallRecord:
    """A call not made (yet), with the usage it assumes and what that costs."""
    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens)
    return CallRecord(purpose, model.name, usage, cost_usd(model, usage))
