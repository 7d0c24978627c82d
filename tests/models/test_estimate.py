"""Cost previews: the exact request counted as the provider counts it, priced as
litellm prices it, cached per run, shaped by the deployment's settings."""

from __future__ import annotations

import pytest

from analysis.engine.analyzer import build_prompt, call_and_validate
from analysis.llm.tokens import count_input_tokens
from analysis.llm.litellm_env import get_litellm
from analysis.registry import ModelUnavailable, UnknownModel
from analysis.report.prompt import REPORT_FORMAT
from django.core.cache import cache

from webapp.llm import services
from webapp.llm.models import EstimateFigure
from webapp.llm.registry import get_registry
from webapp.llm.request_tokens import exact_input_tokens
from webapp.runs.errors import RunNotReady
from webapp.llm.services import digest_for_run, estimate_for_run, estimate_material, list_models, path_material
from webapp.runs.models import RunStatus
from tests.models.conftest import LONG_ANSWER
from tests.samples import SPLIT_VOTE, ingest_sample

ESTIMATE_KEYS = {
    "model", "input_tokens", "output_tokens", "input_usd", "output_usd", "total_usd",
    "context_window", "fits_context", "compression", "recommendation",
}
RECEIVED_TOLERANCE = 0.02


def custom_models_file(tmp_path, fake_url: str, *, context_window: int = 131_072, api: str = "chat") -> str:
    path = tmp_path / "models.toml"
    path.write_text(
        f'''
[[models]]
name = "local/llama"
provider = "vllm"
base_url = "{fake_url}"
model = "gpt-5-mini"
tokenizer = "gpt-5-mini"
api = "{api}"
context_window = {context_window}
max_output_tokens = 4096
input_usd_per_mtok = 0.5
output_usd_per_mtok = 1.5
'''
    )
    return str(path)


@pytest.mark.parametrize(
    "model, key",
    [
        ("gpt-5-mini", "OPENAI_API_KEY"),
        ("gpt-4o", "OPENAI_API_KEY"),
        ("anthropic/claude-sonnet-4-5", "ANTHROPIC_API_KEY"),
        ("gemini/gemini-2.5-pro", "GEMINI_API_KEY"),
    ],
)
def test_the_estimate_prices_the_counted_tokens_exactly_as_litellm_does(ready_run, monkeypatch, model, key):
    monkeypatch.setenv(key, "test-key-not-real-0000")

    estimate = estimate_for_run(ready_run, model)

    assert ESTIMATE_KEYS <= set(estimate)
    litellm_name = get_registry().get(model).litellm_model
    input_usd, output_usd = get_litellm().cost_per_token(
        model=litellm_name, prompt_tokens=estimate["input_tokens"], completion_tokens=estimate["output_tokens"]
    )
    assert (estimate["input_usd"], estimate["output_usd"]) == (input_usd, output_usd)
    assert estimate["total_usd"] == input_usd + output_usd


def test_the_counted_input_is_what_the_provider_receives_through_the_analyzer(ready_run, fake_openai, settings, openai_key):
    settings.DEBRIEF_MODEL_BASE_URLS = {"openai": fake_openai.base_url}
    model = get_registry().get("gpt-5-mini")

    estimate = estimate_for_run(ready_run, "gpt-5-mini")
    reply = call_and_validate(model, build_prompt(digest_for_run(ready_run).input), api_key="sk-test", timeout=30)

    received = reply.calls[0].usage.input_tokens
    assert abs(estimate["input_tokens"] - received) <= RECEIVED_TOLERANCE * received
    assert fake_openai.requests_to("responses")


def test_a_chat_model_is_counted_as_the_provider_counts_it_too(ready_run, fake_openai, settings, tmp_path):
    settings.DEBRIEF_MODELS_FILE = custom_models_file(tmp_path, fake_openai.base_url)
    model = get_registry().get("local/llama")

    estimate = estimate_for_run(ready_run, "local/llama")
    reply = call_and_validate(model, build_prompt(digest_for_run(ready_run).input), api_key="unused", timeout=30)

    received = reply.calls[0].usage.input_tokens
    assert abs(estimate["input_tokens"] - received) <= RECEIVED_TOLERANCE * received
    assert fake_openai.requests_to("chat")


def test_the_cached_count_equals_the_analysis_layers_own_count(ready_run, openai_key):
    model = get_registry().get("gpt-5-mini")
    prompt = build_prompt(digest_for_run(ready_run).input)

    assert exact_input_tokens(model, digest_for_run(ready_run).input) == count_input_tokens(
        model, prompt.instructions, prompt.items, json_schema=REPORT_FORMAT
    )


def test_a_second_preview_does_not_open_the_run_again(ready_run, openai_key, monkeypatch):
    first = estimate_for_run(ready_run, "gpt-5-mini")
    monkeypatch.setattr(services, "read_session", lambda path: pytest.fail("the run was read again"))

    assert estimate_for_run(ready_run, "gpt-5-mini") == first


def test_after_a_restart_the_first_preview_reads_the_stored_count_instead_of_the_run(ready_run, openai_key, monkeypatch):
    first = estimate_for_run(ready_run, "gpt-5-mini")
    cache.clear()  # a restart: the process's cache is empty, the database is not
    monkeypatch.setattr(services, "read_session", lambda path: pytest.fail("the run was read again"))

    assert estimate_for_run(ready_run, "gpt-5-mini") == first
    assert EstimateFigure.objects.filter(run=ready_run).count() == 1  # one tokenizer, one count


def test_a_stored_compression_plan_survives_a_restart_too(people, settings, tmp_path, monkeypatch):
    run = ingest_sample(people.team_a, LONG_ANSWER)
    settings.DEBRIEF_MODELS_FILE = custom_models_file(tmp_path, "http://127.0.0.1:9/v1", context_window=24_000)
    first = estimate_for_run(run, "local/llama")
    cache.clear()
    monkeypatch.setattr(services, "read_session", lambda path: pytest.fail("the run was read again"))

    assert estimate_for_run(run, "local/llama") == first and first["compression"]["possible"]


def test_stored_figures_go_with_their_run(ready_run, openai_key):
    estimate_for_run(ready_run, "gpt-5-mini")
    ready_run.delete()

    assert not EstimateFigure.objects.exists()


def test_a_run_deleted_while_its_preview_is_computed_still_gets_its_estimate(ready_run, openai_key):
    from webapp.runs.models import Run

    gone = Run.objects.get(pk=ready_run.pk)
    Run.objects.filter(pk=ready_run.pk).delete()

    assert estimate_for_run(gone, "gpt-5-mini")["input_tokens"] > 0
    assert not EstimateFigure.objects.exists()


def test_the_output_budget_is_the_analyzers_cap(ready_run, openai_key):
    estimate = estimate_for_run(ready_run, "gpt-5-mini")

    assert estimate["output_tokens"] == 16_000  # min(16,000, the model's 128,000)


def test_the_default_model_comes_from_the_environment(ready_run, openai_key, monkeypatch):
    monkeypatch.setenv("DEBRIEF_ANALYSIS_MODEL", "gpt-5-nano")

    rows = {row["name"]: row for row in list_models(provider="openai")}
    estimate = estimate_material(path_material(SPLIT_VOTE), None)

    assert rows["gpt-5-nano"]["is_default"] and not rows["gpt-5-mini"]["is_default"]
    assert estimate["model"] == "gpt-5-nano"
    assert estimate["recommendation"]["default_model"] == "gpt-5-nano"


def test_without_any_key_only_the_offline_analyzer_is_available_and_others_say_what_to_set(ready_run):
    available = list_models(available=True)
    rows = {row["name"]: row for row in list_models(provider="openai")}

    assert [row["name"] for row in available] == ["debrief/offline"]
    assert rows["gpt-5-mini"]["unavailable_reason"] == "OPENAI_API_KEY is not set"
    with pytest.raises(ModelUnavailable, match="OPENAI_API_KEY is not set"):
        estimate_for_run(ready_run, "gpt-5-mini")
    assert estimate_for_run(ready_run, "debrief/offline")["total_usd"] == 0


def test_unknown_models_are_refused_with_close_matches(ready_run, openai_key):
    with pytest.raises(UnknownModel, match="Did you mean gpt-5-mini"):
        estimate_for_run(ready_run, "gpt5-mini")


def test_the_allowlist_narrows_the_models(ready_run, openai_key, settings):
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5*",)

    names = [row["name"] for row in list_models()]

    assert "debrief/offline" in names
    assert all(name.startswith("gpt-5") for name in names if name != "debrief/offline")
    with pytest.raises(UnknownModel, match="not in this deployment's allowlist"):
        estimate_for_run(ready_run, "gpt-4o")


def test_custom_models_from_the_models_file_are_listed_and_priced_at_their_own_prices(ready_run, settings, tmp_path):
    settings.DEBRIEF_MODELS_FILE = custom_models_file(tmp_path, "http://127.0.0.1:9/v1")

    (row,) = list_models(search="local/llama")
    estimate = estimate_for_run(ready_run, "local/llama")

    assert (row["provider"], row["available"], row["custom"]) == ("vllm", True, True)
    assert (row["input_usd_per_mtok"], row["output_usd_per_mtok"]) == (0.5, 1.5)
    assert estimate["input_usd"] == estimate["input_tokens"] * 0.5e-6
    assert estimate["output_tokens"] == 4096


def test_a_run_that_does_not_fit_shows_the_compression_it_would_go_through(people, settings, tmp_path):
    run = ingest_sample(people.team_a, LONG_ANSWER)
    settings.DEBRIEF_MODELS_FILE = custom_models_file(tmp_path, "http://127.0.0.1:9/v1", context_window=24_000)

    estimate = estimate_for_run(run, "local/llama")
    refused = estimate_for_run(run, "local/llama", compression="off")

    assert not estimate["fits_context"] and estimate["recommendation"]["needs_compression"]
    plan = estimate["compression"]
    assert (plan["possible"], plan["strategy"], plan["requested"]) == (True, "summarize", "auto")
    assert plan["calls"] and {call["purpose"] for call in plan["calls"]} == {"summarize"}
    assert plan["final_input_tokens"] <= plan["budget_tokens"] < estimate["input_tokens"]
    assert plan["compression_usd"] == sum(call["usd"] for call in plan["calls"])
    analysis_usd = (plan["final_input_tokens"] * 0.5 + estimate["output_tokens"] * 1.5) * 1e-6
    assert plan["total_usd"] == pytest.approx(plan["compression_usd"] + analysis_usd)
    assert (refused["compression"]["possible"], refused["compression"]["strategy"]) == (False, None)
    assert "needs" in refused["compression"]["reason"]


def test_a_run_that_is_not_ready_has_no_estimate(ready_run, openai_key):
    ready_run.status = RunStatus.PROCESSING
    ready_run.save()

    with pytest.raises(RunNotReady, match="processing"):
        estimate_for_run(ready_run, "gpt-5-mini")


def test_a_re_read_run_keeps_only_its_current_figures(ready_run, openai_key):
    from datetime import timedelta

    from webapp.runs.models import Run

    estimate_for_run(ready_run, "gpt-5-mini")
    before = set(EstimateFigure.objects.filter(run=ready_run).values_list("key", flat=True))
    Run.objects.filter(pk=ready_run.pk).update(processed_at=ready_run.processed_at + timedelta(seconds=5))  # read again
    ready_run.refresh_from_db()
    estimate_for_run(ready_run, "gpt-5-mini")

    after = set(EstimateFigure.objects.filter(run=ready_run).values_list("key", flat=True))
    assert len(after) == 1 and not after & before
