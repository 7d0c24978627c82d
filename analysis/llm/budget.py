"""How many input tokens a model takes for one of our requests: its context window
minus room for the answer minus a safety margin."""

from __future__ import annotations

import math

from analysis.llm.modelinfo import ModelInfo

# Room kept for the answer (report and reasoning), capped by the model's own maximum
# and by a share of the window: some models list a maximum output as large as their
# window, which would leave no room for input.
OUTPUT_RESERVE_TOKENS = 16_000
MAX_OUTPUT_RESERVE_FRACTION = 0.25
# Our counts are estimates (tokenizers differ, providers add framing): stay clear of the edge.
SAFETY_MARGIN_FRACTION = 0.05


class DoesNotFit(Exception):
    def __init__(self, input_tokens: int, budget: int, model: ModelInfo, what: str = "The analysis input"):
        self.input_tokens = input_tokens
        self.budget = budget
        self.model_name = model.name
        super().__init__(
            f"{what} needs {input_tokens:,} input tokens; {model.name} takes {budget:,} "
            f"(context window {model.context_window:,} minus {output_reserve(model):,} kept for the answer "
            f"minus a {safety_margin(model):,}-token safety margin)."
        )


def output_reserve(model: ModelInfo) -> int:
    return min(OUTPUT_RESERVE_TOKENS, model.max_output_tokens, int(model.context_window * MAX_OUTPUT_RESERVE_FRACTION))


def safety_margin(model: ModelInfo) -> int:
    return math.ceil(model.context_window * SAFETY_MARGIN_FRACTION)


def input_budget(model: ModelInfo) -> int:
    return model.context_window - output_reserve(model) - safety_margin(model)
