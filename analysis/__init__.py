"""Pure-Python core of Debrief: MassGen reader, digest, model registry, pricing,
compression and the analyzer. Nothing in this package imports Django.

litellm reads these at import time: without them it fetches its price map from the
internet, loads any `.env` it finds and tries to download tokenizers from a hub.
Setting them here, before any submodule can import litellm, keeps every process
(web, worker, CLI, tests, benchmarks) offline.
"""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# Its Anthropic beta-headers config, otherwise fetched from GitHub (5 s time-out) on
# the first Anthropic call.
os.environ.setdefault("LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "True")
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
