"""Analyses and follow-ups through the product (services, the task's steps, pages
and API) with custom models served by the fake OpenAI server: a small window that
the long sample run does not fit, with and without native compaction.

The models reach the registry as a deployment's do: a models file named by
DEBRIEF_MODELS_FILE (docs/models.md)."""

from __future__ import annotations

import pytest

from tests.analyses.conftest import no_enqueue  # noqa: F401  (fixture)
from tests.model_env import clean_models_state  # noqa: F401  (autouse fixture)
from tests.samples import SAMPLE_RUNS, ingest_sample

LONG_RUN = next((SAMPLE_RUNS / "massgen-0.1.97" / "postgres-sqlite-2agents-long-answer").glob("log_*[0-9]"))
SHORT_RUN = next((SAMPLE_RUNS / "massgen-0.1.43" / "palindrome-3agents-http-errors").glob("log_*[0-9]"))

NATIVE_MODEL, NATIVE_MODEL_ID = "small/native", "tiny-model"  # served with /responses/compact
CHAT_MODEL, CHAT_MODEL_ID = "small/chat", "chat-model"  # an OpenAI-compatible server without it
SUMMARISER, SUMMARISER_ID = "cheap/summariser", "cheap-model"
SMALL_WINDOW = 12_000  # the long run needs ~31,700 tokens, the short one ~4,500
SMALL_MAX_OUTPUT = 2_000
INPUT_USD_PER_MTOK, OUTPUT_USD_PER_MTOK = 10.0, 40.0
CHEAP_INPUT_USD_PER_MTOK, CHEAP_OUTPUT_USD_PER_MTOK = 1.0, 4.0
# The fake counts unknown model ids with cl100k: so must we, for estimates and bills to agree.
FAKE_TOKENIZER = "gpt-4"


def model_entry(name: str, model_id: str, base_url: str, extra: str = "", prices=(INPUT_USD_PER_MTOK, OUTPUT_USD_PER_MTOK)) -> str:
    return (
        f'[[models]]\nname = "{name}"\nmodel = "{model_id}"\nbase_url = "{base_url}"\n'
        f"context_window = {SMALL_WINDOW}\nmax_output_tokens = {SMALL_MAX_OUTPUT}\n"
        f'input_usd_per_mtok = {prices[0]}\noutput_usd_per_mtok = {prices[1]}\ntokenizer = "{FAKE_TOKENIZER}"\n{extra}'
    )


@pytest.fixture
def small_models(fake_openai, tmp_path, monkeypatch):
    """The three models above, with the fake enforcing their window."""
    base = fake_openai.base_url
    path = tmp_path / "models.toml"
    path.write_text("\n".join([
        model_entry(NATIVE_MODEL, NATIVE_MODEL_ID, base, "native_compaction = true\n"),
        model_entry(CHAT_MODEL, CHAT_MODEL_ID, base),
        model_entry(SUMMARISER, SUMMARISER_ID, base, prices=(CHEAP_INPUT_USD_PER_MTOK, CHEAP_OUTPUT_USD_PER_MTOK)),
    ]))
    monkeypatch.setenv("DEBRIEF_MODELS_FILE", str(path))
    for model_id in (NATIVE_MODEL_ID, CHAT_MODEL_ID, SUMMARISER_ID):
        fake_openai.set_context_window(model_id, SMALL_WINDOW)
    return fake_openai


@pytest.fixture
def long_run(people):
    return ingest_sample(people.team_a, LONG_RUN)


@pytest.fixture
def short_run(people):
    return ingest_sample(people.team_a, SHORT_RUN)

