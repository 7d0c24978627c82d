"""Models an OpenAI-compatible endpoint lists that nothing else describes: a vLLM,
Ollama, LM Studio or LiteLLM-proxy server at OPENAI_BASE_URL (or at a models-file
base URL) serving "my-llama-3". They become custom models with an unknown price,
so they can be chosen and analysed with; the models file gives one a price and
its real window."""

from __future__ import annotations

from analysis.llm.modelinfo import ModelInfo
from analysis.registry.custom_models import LITELLM_ROUTE

# A listing says nothing of a model's window: these sizes are small enough for any
# current chat model, so a run is compressed rather than sent past a real window.
LISTED_CONTEXT_WINDOW = 32_768
LISTED_MAX_OUTPUT_TOKENS = 4_096
# A listing is the endpoint's to fill: only this many of its unknown ids are offered,
# and only ids that are plain printable text of a reasonable length.
MAX_LISTED_MODELS_PER_ENDPOINT = 200
MAX_LISTED_ID_CHARS = 200


def usable_id(model_id: str) -> bool:
    return 0 < len(model_id) <= MAX_LISTED_ID_CHARS and model_id.isprintable() and model_id.strip() == model_id


def listed_model(
    name: str, model_id: str, provider: str, base_url: str, api_key_env: str | None, tokenizer: str
) -> ModelInfo:
    return ModelInfo(
        name=name,
        provider=provider,
        litellm_model=f"{LITELLM_ROUTE}/{model_id}",
        # Every OpenAI-compatible server speaks chat completions; few speak the Responses API.
        api="chat",
        context_window=LISTED_CONTEXT_WINDOW,
        max_output_tokens=LISTED_MAX_OUTPUT_TOKENS,
        input_usd_per_token=0.0,
        output_usd_per_token=0.0,
        cached_input_usd_per_token=None,
        supports_reasoning=False,
        supports_native_compaction=False,
        api_base=base_url,
        api_key_env=api_key_env,
        tokenizer_model=tokenizer,
        custom=True,
        price_known=False,
    )
