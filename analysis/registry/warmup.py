"""litellm's start-up costs, paid when a serving process starts instead of by its
first cost preview.

litellm is imported lazily (see `litellm_env`) so that CLI commands, listing models
and pricing never pay for it; a process that serves previews pays anyway, and the
first preview after a start took 3-4 s: the import (~2-3 s) plus loading the
tiktoken encodings the estimate counts with (~0.4-0.7 s). Only long-lived serving
processes call this (see webapp/wsgi.py)."""

from __future__ import annotations

from analysis.llm.litellm_env import get_litellm
from analysis.registry.config import DEFAULT_PROVIDER_DEFAULTS, FALLBACK_TOKENIZER

# With hub tokenizers disabled (litellm_env), every model is counted with one of two
# tiktoken encodings: o200k_base for OpenAI's current models and FALLBACK_TOKENIZER
# (custom models, debrief/offline), cl100k_base, litellm's default, for every other
# provider. One tokenizer name per encoding loads both.
WARM_UP_TOKENIZERS = (FALLBACK_TOKENIZER, DEFAULT_PROVIDER_DEFAULTS["anthropic"])
# Counted as messages, the estimate's path through token_counter, so whatever that
# path imports on first use is loaded too.
WARM_UP_MESSAGES = ({"role": "user", "content": "warm-up"},)


def warm_up_litellm() -> None:
    """Import litellm (with the offline switches `analysis/__init__.py` set) and load
    the tokenizers of the cost estimate. No network: both encodings ship with litellm."""
    litellm = get_litellm()
    for tokenizer in WARM_UP_TOKENIZERS:
        litellm.token_counter(model=tokenizer, messages=[dict(message) for message in WARM_UP_MESSAGES])
