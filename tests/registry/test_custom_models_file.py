from __future__ import annotations

import os

import pytest

from analysis.llm.pricing import estimate
from analysis.registry import MODELS_FILE_ENV, ModelsFileError
from tests.registry.conftest import build

TOML = """
[[models]]
name = "local/llama"
provider = "vllm"
base_url = "http://127.0.0.1:8000/v1/"
model = "meta-llama/Llama-3.3-70B-Instruct"
context_window = 131072
max_output_tokens = 8192
input_usd_per_mtok = 0.5
output_usd_per_mtok = 1.5
cached_input_usd_per_mtok = 0.1
api_key_env = "VLLM_API_KEY"
tokenizer = "gpt-4o"
supports_reasoning = true

[[models]]
name = "gateway/gpt-5-mini"
base_url = "https://gateway.example.com/v1"
context_window = 272000
max_output_tokens = 128000
input_usd_per_mtok = 0.25
output_usd_per_mtok = 2
native_compaction = true
"""

YAML = """
models:
  - name: local/llama
    provider: vllm
    base_url: http://127.0.0.1:8000/v1/
    model: meta-llama/Llama-3.3-70B-Instruct
    context_window: 131072
    max_output_tokens: 8192
    input_usd_per_mtok: 0.5
    output_usd_per_mtok: 1.5
    cached_input_usd_per_mtok: 0.1
    api_key_env: VLLM_API_KEY
    tokenizer: gpt-4o
    supports_reasoning: true
  - name: gateway/gpt-5-mini
    base_url: https://gateway.example.com/v1
    context_window: 272000
    max_output_tokens: 128000
    input_usd_per_mtok: 0.25
    output_usd_per_mtok: 2
    native_compaction: true
"""

MINIMAL = {
    "name": '"local/x"',
    "base_url": '"http://127.0.0.1:8000/v1"',
    "context_window": "8192",
    "max_output_tokens": "1024",
    "input_usd_per_mtok": "0",
    "output_usd_per_mtok": "0",
}


def _toml_entry(**overrides: str | None) -> str:
    fields = {**MINIMAL, **overrides}
    return "[[models]]\n" + "".join(f"{key} = {value}\n" for key, value in fields.items() if value is not None)


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(("filename", "text"), [("models.toml", TOML), ("models.yaml", YAML), ("models.yml", YAML)])
def test_custom_models_load_from_toml_and_yaml(tmp_path, filename, text):
    registry = build(models_file=_write(tmp_path, filename, text))
    llama = registry.get("local/llama")
    assert llama.custom
    assert (llama.provider, llama.api) == ("vllm", "chat")
    assert llama.litellm_model == "openai/meta-llama/Llama-3.3-70B-Instruct"
    assert llama.api_model_id == "meta-llama/Llama-3.3-70B-Instruct"
    assert llama.api_base == "http://127.0.0.1:8000/v1"
    assert (llama.context_window, llama.max_output_tokens) == (131072, 8192)
    prices = (llama.input_usd_per_mtok, llama.output_usd_per_mtok, llama.cached_input_usd_per_mtok)
    assert prices == pytest.approx((0.5, 1.5, 0.1))
    assert llama.supports_reasoning and not llama.supports_native_compaction
    assert (llama.api_key_env, llama.tokenizer_model) == ("VLLM_API_KEY", "gpt-4o")
    gateway = registry.get("gateway/gpt-5-mini")
    assert (gateway.provider, gateway.api, gateway.supports_native_compaction) == ("custom", "responses", True)
    assert gateway.cached_input_usd_per_token is None


def test_toml_and_yaml_describe_the_same_models(tmp_path):
    from_toml = build(models_file=_write(tmp_path, "m.toml", TOML))
    from_yaml = build(models_file=_write(tmp_path, "m.yaml", YAML))
    assert from_toml.get("local/llama") == from_yaml.get("local/llama")
    assert from_toml.get("gateway/gpt-5-mini") == from_yaml.get("gateway/gpt-5-mini")


def test_custom_models_are_priced_at_their_configured_prices(tmp_path):
    model = build(models_file=_write(tmp_path, "m.toml", TOML)).get("local/llama")
    result = estimate(model, 100_000, 2_000, cached_input_tokens=10_000)
    assert result.input_usd == pytest.approx(90_000 * 0.5e-6 + 10_000 * 0.1e-6, abs=1e-12)
    assert result.output_usd == pytest.approx(2_000 * 1.5e-6, abs=1e-12)


def test_the_models_file_env_var_beats_the_setting(tmp_path):
    from_env = _write(tmp_path, "env.toml", TOML)
    from_settings = _write(tmp_path, "settings.toml", _toml_entry())
    registry = build({MODELS_FILE_ENV: str(from_env)}, models_file=from_settings)
    assert registry.get("local/llama")
    assert "local/x" not in {model.name for model in registry.all()}


def test_a_custom_model_needs_its_key_only_when_it_names_one(tmp_path):
    registry = build(models_file=_write(tmp_path, "m.toml", TOML))
    assert registry.availability("local/llama").reason == "VLLM_API_KEY is not set"
    assert registry.availability("gateway/gpt-5-mini").available
    assert build({"VLLM_API_KEY": "k"}, models_file=tmp_path / "m.toml").availability("local/llama").available


def test_an_edited_file_is_read_again(tmp_path):
    path = _write(tmp_path, "m.toml", _toml_entry())
    assert build(models_file=path).get("local/x").context_window == 8192
    path.write_text(_toml_entry(context_window="16384"))
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse-grained filesystems
    assert build(models_file=path).get("local/x").context_window == 16384


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        ({"context_window": None}, "models[0].context_window", "is required"),
        ({"context_window": '"big"'}, "models[0].context_window", "must be a positive integer, got 'big'"),
        ({"max_output_tokens": "0"}, "models[0].max_output_tokens", "must be a positive integer"),
        ({"input_usd_per_mtok": "-1"}, "models[0].input_usd_per_mtok", "must be a number of US dollars"),
        ({"output_usd_per_mtok": "nan"}, "models[0].output_usd_per_mtok", "must be a number of US dollars"),
        ({"output_usd_per_mtok": "inf"}, "models[0].output_usd_per_mtok", "must be a number of US dollars"),
        ({"base_url": '"localhost:8000"'}, "models[0].base_url", "must be an http(s) URL"),
        ({"native_compaction": '"yes"'}, "models[0].native_compaction", "must be true or false"),
        ({"api": '"completions"'}, "models[0].api", "must be 'responses' or 'chat'"),
        ({"native_compaction": "true", "api": '"chat"'}, "models[0].api", "native_compaction needs api = 'responses'"),
        ({"contxt_window": "8192"}, "models[0].contxt_window", "unknown field"),
        ({"name": '""'}, "models[0].name", "must be a non-empty string"),
    ],
)
def test_a_bad_field_is_reported_with_the_file_and_the_field(tmp_path, overrides, field, problem):
    path = _write(tmp_path, "models.toml", _toml_entry(**overrides))
    with pytest.raises(ModelsFileError) as raised:
        build(models_file=path)
    assert (raised.value.path, raised.value.field) == (path, field)
    assert str(raised.value).startswith(f"{path}: {field}: ")
    assert problem in str(raised.value)


def test_the_second_entry_is_named_by_its_position(tmp_path):
    path = _write(tmp_path, "models.toml", _toml_entry() + _toml_entry(name='"local/y"', max_output_tokens='"many"'))
    with pytest.raises(ModelsFileError, match=r"models\[1\]\.max_output_tokens"):
        build(models_file=path)


@pytest.mark.parametrize(
    ("filename", "text", "field", "problem"),
    [
        ("m.toml", "[[models]\nname = ", None, "is not valid TOML"),
        ("m.yaml", "models: [unclosed", None, "is not valid YAML"),
        ("m.yaml", "- name: x", "models", "must hold a list named 'models'"),
        ("m.json", "{}", None, "must end in .toml, .yaml or .yml"),
        ("m.toml", "models = []\nmodel = 1\n", "model", "unknown top-level key"),
    ],
)
def test_an_unreadable_file_is_reported_with_its_path(tmp_path, filename, text, field, problem):
    path = _write(tmp_path, filename, text)
    with pytest.raises(ModelsFileError) as raised:
        build(models_file=path)
    assert (raised.value.path, raised.value.field) == (path, field)
    assert problem in str(raised.value) and str(path) in str(raised.value)


def test_a_missing_file_is_reported_with_its_path(tmp_path):
    with pytest.raises(ModelsFileError, match=rf"{tmp_path / 'absent.toml'}: cannot be read"):
        build(models_file=tmp_path / "absent.toml")


@pytest.mark.parametrize("taken", ["gpt-5-mini", "openai/gpt-5-mini", "debrief/offline", "local/x"])
def test_a_custom_name_must_not_shadow_another_model(tmp_path, taken):
    path = _write(tmp_path, "m.toml", _toml_entry() + _toml_entry(name=f'"{taken}"'))
    with pytest.raises(ModelsFileError, match=r"models\[1\]\.name"):
        build(models_file=path)
