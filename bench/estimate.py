"""Cost-preview and digest benchmark, in a throwaway data folder.

1. Server time of the cost preview (the estimate plus the rendered preview
   partial) for 20 models on a run of ~1M raw tokens (a sample run whose
   answers, traces and final answer are repeated until the run's files hold
   ~1M tokens), p50/p95, in this already warm process: uncached (empty cache:
   the run is read, digested, counted and, where it does not fit, its
   compression planned) and cached.
2. The first preview after a fresh start: the run's first preview ever (here:
   it reads, digests, counts and stores the count), then `debrief runserver`
   started anew in its own process (empty cache, nothing imported beyond what
   its start imports), the preview asked over HTTP as the browser does, against
   the same request again and a second model (another tokenizer, never counted)
   in that now warm process.
3. The digest's size in tokens (its facts, always sent) and the whole prompt an
   uncompressed analysis sends (instructions, facts, raw parts, schema) against
   the raw run's tokens, and the fraction of key facts, for that run and every
   sample run.

Targets: cached preview p95 < 50 ms; first preview after a start <= 1 s; facts
<= 5 % of the raw tokens with 100 % of the key facts.

    .venv/bin/python bench/estimate.py [--raw-tokens 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlencode

from _common import ROOT, configure_django, free_port, record

SAMPLES = ROOT / "tests/fixtures/massgen-runs"
SCALED_SAMPLE = next((SAMPLES / "massgen-0.1.97/postgres-sqlite-2agents-long-answer").glob("log_*[0-9]"))
SCALED_FILES = ("answer.txt", "execution_trace.md")
COUNTING_TOKENIZER = "gpt-5-mini"  # raw and digest sizes are compared in one tokenizer
MODEL_COUNT = 20
CACHED_ROUNDS = 10
# Dummy keys: availability only looks at the environment; nothing is called.
BENCH_KEYS = {"OPENAI_API_KEY": "sk-bench", "ANTHROPIC_API_KEY": "sk-ant-bench", "GEMINI_API_KEY": "bench"}
PREFERRED_MODELS = (
    "gpt-5-mini", "gpt-5-nano", "gpt-5", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3",
    "o4-mini", "anthropic/claude-sonnet-4-5", "anthropic/claude-haiku-4-5", "anthropic/claude-opus-4-1",
    "gemini/gemini-2.5-pro", "gemini/gemini-2.5-flash", "gemini/gemini-2.5-flash-lite", "gemini/gemini-2.0-flash",
    "debrief/offline",
)
TARGETS = {"cached_p95_ms": 50, "digest_share": 0.05, "key_facts": 1.0, "first_after_start_ms": 1000}
# The fresh-start figures: each start is a new server process (~5 s with its previews).
FRESH_STARTS = 3
FIRST_PREVIEW_MODEL = "gpt-5-mini"  # o200k_base, the OpenAI default
SECOND_PREVIEW_MODEL = "anthropic/claude-sonnet-4-5"  # cl100k_base: another tokenizer, uncounted
SERVER_READY_TIMEOUT_SECONDS = 120
REQUEST_TIMEOUT_SECONDS = 120
POLL_SECONDS = 0.05


def configure(data_dir: Path) -> None:
    for name in ("DEBRIEF_ANALYSIS_MODEL", "DEBRIEF_MODELS_FILE", "DEBRIEF_MODEL_ALLOWLIST", "CACHE_URL"):
        os.environ.pop(name, None)
    configure_django(data_dir, BENCH_KEYS)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # compression plans read which models refused compaction


def count_tokens(text: str) -> int:
    from analysis.llm.litellm_env import get_litellm

    return get_litellm().token_counter(model=COUNTING_TOKENIZER, text=text) if text else 0


def run_tokens(folder: Path) -> int:
    return sum(count_tokens(path.read_text(errors="replace")) for path in folder.rglob("*") if path.is_file())


def scaled_run(dest: Path, raw_tokens: int) -> Path:
    """The sample with its answers and traces repeated until the run holds ~raw_tokens."""
    folder = dest / SCALED_SAMPLE.name
    shutil.copytree(SCALED_SAMPLE, folder)
    scaled = [path for path in folder.rglob("*") if path.name in SCALED_FILES]
    base, scalable = run_tokens(folder), sum(count_tokens(path.read_text()) for path in scaled)
    factor = max(1, round((raw_tokens - base + scalable) / scalable))
    for path in scaled:
        path.write_text("\n\n".join([path.read_text()] * factor))
    return folder


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_models() -> list[str]:
    from webapp.llm.registry import get_registry

    registry = get_registry()
    available = [model.name for model in registry.all(available=True)]
    chosen = [name for name in PREFERRED_MODELS if name in available]
    chosen += [name for name in available if name not in chosen][: MODEL_COUNT - len(chosen)]
    return chosen[:MODEL_COUNT]


def preview_ms(run, model: str) -> tuple[float, object]:
    from django.template.loader import render_to_string

    from webapp.llm import panel

    started = time.perf_counter()
    preview = panel.preview(run, None, model, "auto")
    render_to_string("llm/analyse_panel.html#preview", {"run": run, "attempt": None, "preview": preview, "can_write": True})
    return (time.perf_counter() - started) * 1000, preview


def bench_previews(folder: Path, storage: Path) -> dict:
    from django.core.cache import cache

    from analysis.llm.litellm_env import get_litellm
    from webapp.runs.models import Run, RunStatus

    get_litellm()  # its import is paid at a server's start (see webapp/wsgi.py); fresh_start_previews measures that
    relative = folder.relative_to(storage)
    run = Run(pk=uuid.uuid4(), status=RunStatus.READY, storage_path=str(relative))  # never saved: no database needed
    models = bench_models()
    uncached, cached, outcomes = [], [], {}
    for model in models:
        cache.clear()
        elapsed, preview = preview_ms(run, model)
        if preview.error:
            raise SystemExit(f"{model}: {preview.error}")
        uncached.append(elapsed)
        plan = preview.estimate["compression"]
        outcomes[model] = "fits" if plan is None else (plan["strategy"] or "does not fit")
    for model in models:
        preview_ms(run, model)  # fill the cache
    for _ in range(CACHED_ROUNDS):
        for model in models:
            cached.append(preview_ms(run, model)[0])
    return {"models": models, "outcomes": outcomes, "uncached": uncached, "cached": cached}


def saved_run(folder: Path, storage: Path) -> tuple[object, str]:
    """The scaled run as a team's ready run, and a logged-in session cookie for it,
    so another process can ask for its preview over HTTP."""
    from django.conf import settings
    from django.test import Client

    from webapp.runs.models import Run, RunSource, RunStatus
    from webapp.teams.services import do_create_user

    user, _, _ = do_create_user("bench", "bench", role="owner", password="bench-password-1")
    run = Run.objects.create(
        team=user.memberships.get().team, created_by=user, source=RunSource.FOLDER, sha256="0" * 64,
        status=RunStatus.READY, storage_path=str(folder.relative_to(storage)),
    )
    client = Client()
    client.force_login(user)  # a database session, which the server process reads
    return run, f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def wait_listening(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + SERVER_READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited at start:\n{log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=POLL_SECONDS).close()
            return
        except OSError:
            time.sleep(POLL_SECONDS)
    raise SystemExit(f"the server did not listen within {SERVER_READY_TIMEOUT_SECONDS} s:\n{log.read_text(errors='replace')}")


def http_preview_ms(port: int, path: str, model: str, cookie: str) -> float:
    """The preview partial as the Analyse panel asks for it (htmx), timed by the client."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}?{urlencode({'model': model, 'compression': 'auto'})}",
        headers={"Cookie": cookie, "HX-Request": "true"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
        body = response.read().decode()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200 or 'data-testid="estimate-total"' not in body:  # an estimate, not an error
        raise SystemExit(f"{model}: no estimate in the preview ({response.status}):\n{body[:2000]}")
    return elapsed


def fresh_start_previews(run, cookie: str, data_dir: Path) -> dict:
    from django.urls import reverse

    from webapp.llm import panel

    path = reverse("llm:estimate", args=[run.pk])
    figures: dict[str, list[float]] = {"ever": [], "listening": [], "first": [], "again": [], "second": []}
    # The run's first preview ever, here: it reads, digests and counts the run and
    # stores the count (webapp.llm.estimate_cache.stored), as a first view does.
    # With an empty cache: bench_previews counted the same text already.
    from django.core.cache import cache

    cache.clear()
    started = time.perf_counter()
    if panel.preview(run, None, FIRST_PREVIEW_MODEL, "auto").error:
        raise SystemExit("the first preview failed")
    figures["ever"].append((time.perf_counter() - started) * 1000)
    for start in range(FRESH_STARTS):
        port, log = free_port(), data_dir / f"server-{start}.log"
        with log.open("wb") as output:
            started = time.perf_counter()
            # os.environ holds configure()'s settings: the same database, storage and keys;
            # no CACHE_URL, so each server starts with an empty in-process cache.
            server = subprocess.Popen(
                [sys.executable, "-m", "webapp.cli", "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=ROOT, env=dict(os.environ), stdout=output, stderr=subprocess.STDOUT,
            )
            try:
                wait_listening(server, port, log)
                figures["listening"].append(time.perf_counter() - started)
                figures["first"].append(http_preview_ms(port, path, FIRST_PREVIEW_MODEL, cookie))
                figures["again"].append(http_preview_ms(port, path, FIRST_PREVIEW_MODEL, cookie))
                figures["second"].append(http_preview_ms(port, path, SECOND_PREVIEW_MODEL, cookie))
            finally:
                server.terminate()
                server.wait(timeout=SERVER_READY_TIMEOUT_SECONDS)
    return figures


def digest_figures(folder: Path) -> dict:
    from analysis.digest import build_digest, key_fact_coverage, key_facts
    from webapp.llm.registry import get_registry
    from webapp.llm.request_tokens import exact_input_tokens
    from analysis.offline.checks import digest_findings
    from analysis.massgen import read_session

    session = read_session(folder)
    digest = build_digest(session, findings=digest_findings)
    raw = run_tokens(folder)
    facts = count_tokens(digest.input.facts)
    # The whole request the analysis sends uncompressed: instructions, facts, raw parts
    # and the report schema, counted as the estimate counts it.
    prompt = exact_input_tokens(get_registry().get(COUNTING_TOKENIZER), digest.input)
    return {
        "raw": raw, "facts": facts, "share": facts / raw, "prompt": prompt, "prompt_share": prompt / raw,
        "key_facts": key_fact_coverage(key_facts(session), digest.input.facts),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-tokens", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="debrief-bench-estimate-"))
    try:
        configure(data_dir)
        storage = data_dir / "storage"
        storage.mkdir(exist_ok=True)
        folder = scaled_run(storage, args.raw_tokens)
        big = digest_figures(folder)
        print(f"Scaled run: {big['raw']:,} raw tokens ({COUNTING_TOKENIZER} tokenizer)")
        previews = bench_previews(folder, storage)
        print(f"\nCost preview, {len(previews['models'])} models (estimate + rendered partial):")
        for name, samples in (("uncached", previews["uncached"]), ("cached", previews["cached"])):
            print(f"  {name:<8} p50 {statistics.median(samples):9.1f} ms   p95 {percentile(samples, 0.95):9.1f} ms   (n={len(samples)})")
        print("  per model, uncached: " + ", ".join(
            f"{model} {ms / 1000:.1f}s [{previews['outcomes'][model]}]" for model, ms in zip(previews["models"], previews["uncached"])
        ))
        run, cookie = saved_run(folder, storage)
        fresh = fresh_start_previews(run, cookie, data_dir)
        print(f"\nFirst preview after a fresh start ({FRESH_STARTS} new `debrief runserver` processes, empty cache, over HTTP):")
        for name, key, unit in (
            ("first preview ever (in this process: counts, stores)", "ever", "ms"),
            ("start -> listening", "listening", "s"),
            (f"first preview, {FIRST_PREVIEW_MODEL}", "first", "ms"),
            ("the same again (cached)", "again", "ms"),
            (f"then {SECOND_PREVIEW_MODEL} (another tokenizer: counted)", "second", "ms"),
        ):
            samples = fresh[key]
            each = ", ".join(f"{value:.1f}" if unit == "s" else f"{value:.0f}" for value in samples)
            print(f"  {name:<54} p50 {statistics.median(samples):8.1f} {unit:<2}  (each: {each})")
        print("\nDigest (facts, always sent) and the whole prompt (what an uncompressed analysis sends) vs the raw run:")
        rows = [("scaled run", big)] + [
            (f"{path.parent.parent.name}/{path.parent.name}", digest_figures(path)) for path in sorted(SAMPLES.glob("massgen-*/*/log_*[0-9]"))
        ]
        for name, figures in rows:
            print(f"  {name:<55} facts {figures['facts']:>7,} = {figures['share']:6.2%}   prompt {figures['prompt']:>9,} = "
                  f"{figures['prompt_share']:6.2%}   of {figures['raw']:>9,} raw tokens   key facts {figures['key_facts']:.0%}")
        cached_p95 = percentile(previews["cached"], 0.95)
        worst_share = max(figures["share"] for _, figures in rows)
        worst_facts = min(figures["key_facts"] for _, figures in rows)
        first_after_start = statistics.median(fresh["first"])
        met = (
            cached_p95 < TARGETS["cached_p95_ms"]
            and first_after_start <= TARGETS["first_after_start_ms"]
            and worst_share <= TARGETS["digest_share"]
            and worst_facts >= TARGETS["key_facts"]
        )
        print(f"\nTargets: cached p95 {cached_p95:.1f} ms < {TARGETS['cached_p95_ms']} ms; first preview after a start "
              f"{first_after_start:.0f} ms <= {TARGETS['first_after_start_ms']} ms; digest <= {TARGETS['digest_share']:.0%} "
              f"(worst {worst_share:.2%}); key facts {worst_facts:.0%} -> {'met' if met else 'NOT MET'}")
        record("estimate", "cost preview, cached, p95 (in process)", cached_p95, "ms", f"< {TARGETS['cached_p95_ms']}",
               cached_p95 < TARGETS["cached_p95_ms"])
        record("estimate", "first preview ever of a 1M-token run (counts, stores)", statistics.median(fresh["ever"]), "ms")
        record("estimate", "first preview after a start, p50", first_after_start, "ms", f"<= {TARGETS['first_after_start_ms']}",
               first_after_start <= TARGETS["first_after_start_ms"])
        record("estimate", "facts share of the raw run (worst)", worst_share * 100, "%", f"<= {TARGETS['digest_share']:.0%}",
               worst_share <= TARGETS["digest_share"])
        record("estimate", "whole prompt share of the raw run (1M-token run)", big["prompt_share"] * 100, "%")
        return 0 if met else 1
    finally:
        if args.keep:
            print(f"Kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
