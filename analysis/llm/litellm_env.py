"""litellm, imported once per process and only when needed, and its bundled price map
read without importing it.

The import costs ~3 s and ~165 MB; listing models, pricing and estimates never need
it (they read the bundled price map directly), only token counting and the calls
themselves do. `analysis/__init__.py` has already set the offline environment."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson

# The file litellm itself loads when LITELLM_LOCAL_MODEL_COST_MAP=True.
BUNDLED_PRICE_MAP_FILE = "model_prices_and_context_window_backup.json"


@cache
def get_litellm() -> ModuleType:
    import litellm

    litellm.suppress_debug_info = True
    litellm.disable_hf_tokenizer_download = True  # otherwise counting for Llama-style names hangs ~23 s offline
    return litellm


@cache
def bundled_price_map() -> dict[str, Any]:
    """litellm.model_cost as the pinned release ships it, in ~20 ms instead of ~3 s.
    Read-only by convention: it is shared by every caller in the process."""
    spec = importlib.util.find_spec("litellm")  # locates the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("litellm is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_PRICE_MAP_FILE
    return orjson.loads(path.read_bytes())
