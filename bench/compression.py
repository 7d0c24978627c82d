"""Compression benchmark: what the analysis model finally receives, and what it
costs, when a run is far larger than the model's window.

Every sample run has its answers repeated until the raw material an analysis
sends (final answer, answers, error logs: the digest's raw parts) holds ~N
tokens, then is analysed three ways against the fake OpenAI server, in this
process (no network, no key):

  none       a model whose window holds the whole request: everything is sent
  native     a model with a WINDOW-token window, through /responses/compact
  summarize  the same model, with map-reduce summaries

Per strategy: the final call's input tokens as the server billed them, and their
share of what `none` sends; every token billed (input and output of every call);
the calls; the cost at the model's prices; the wall time; and the fraction of the
run's key facts (winner, every vote, every error, models, totals:
`analysis.digest.key_facts`) present in the final request's text.

Targets: 100 % of the key facts with every strategy; summarize's final call at
most 20 % of what `none` sends.

    .venv/bin/python bench/compression.py [--raw-tokens 300000] [--window 64000] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from _common import ROOT, record
from estimate import SAMPLES, count_tokens

sys.path.insert(0, str(ROOT))

from analysis.engine.analyzer import analyze  # noqa: E402
from analysis.compression import CompressionSettings, InMemoryCompactionSupport  # noqa: E402
from analysis.digest import build_digest, key_fact_coverage, key_facts  # noqa: E402
from analysis.offline.checks import digest_findings
from analysis.llm.tokens import item_text  # noqa: E402
from analysis.massgen import read_session  # noqa: E402
from analysis.llm.modelinfo import ModelInfo  # noqa: E402
from tests.fakeopenai import FakeOpenAI  # noqa: E402

STRATEGIES = ("none", "native", "summarize")
BASELINE_WINDOW = 2_000_000  # holds any run this benchmark builds
MAX_OUTPUT_TOKENS = 16_000
# gpt-5-mini's list prices, so the dollars read like a real deployment's.
INPUT_USD_PER_TOKEN, OUTPUT_USD_PER_TOKEN = 0.25e-6, 2.0e-6
TIMEOUT_SECONDS = 120
TARGETS = {"key_facts": 1.0, "summarize_share": 0.20}


@dataclass(frozen=True)
class Figures:
    sample: str
    strategy: str
    final_input_tokens: int  # as the server billed the analysis call
    share_of_none: float
    billed_tokens: int  # input + output of every call
    billed_of_none: float  # every billed token, against sending everything (`none`)
    calls: int
    cost_usd: float
    cost_of_none: float
    seconds: float
    key_facts: float


def scaled_run(sample: Path, dest: Path, raw_tokens: int) -> Path:
    """The sample with every answer the digest reads repeated, so that its raw
    material holds ~raw_tokens (the logs around it do not grow)."""
    folder = dest / sample.name
    shutil.copytree(sample, folder)
    attempt = read_session(folder).turns[0].accepted_attempt
    refs = [attempt.final_answer, *(answer.text for answer in attempt.answers)]
    paths = [folder / ref.path for ref in refs if ref is not None]
    parts = {part.key: count_tokens(part.text) for part in build_digest(read_session(folder), findings=digest_findings).input.raw}
    answers = sum(tokens for key, tokens in parts.items() if key == "final_answer" or key.startswith("answer:"))
    factor = max(1, math.ceil((raw_tokens - sum(parts.values()) + answers) / answers))
    for path in paths:
        path.write_text("\n\n".join([path.read_text()] * factor))
    return folder


def bench_model(fake: FakeOpenAI, window: int, native: bool) -> ModelInfo:
    """A custom model on the fake. Its id is unknown to litellm, so the fake and our
    counts both use cl100k: what we plan is what the server bills."""
    return ModelInfo(
        name="bench-model",
        provider="custom",
        litellm_model="openai/bench-model",
        api="responses",
        context_window=window,
        max_output_tokens=MAX_OUTPUT_TOKENS,
        input_usd_per_token=INPUT_USD_PER_TOKEN,
        output_usd_per_token=OUTPUT_USD_PER_TOKEN,
        cached_input_usd_per_token=None,
        supports_reasoning=False,
        supports_native_compaction=native,
        api_base=fake.base_url,
        custom=True,
    )


def final_request_text(fake: FakeOpenAI) -> tuple[dict, str]:
    """The analysis request (the last one) and every text it carries."""
    final = fake.requests()[-1]
    texts = [final.body.get("instructions") or ""] + [item_text(item) for item in final.body["input"]]
    return final, "\n".join(texts)


def run_strategy(sample: str, strategy: str, analysis_input, facts: list[str], window: int) -> Figures:
    with FakeOpenAI() as fake:
        model = bench_model(fake, BASELINE_WINDOW if strategy == "none" else window, native=strategy == "native")
        fake.set_context_window(model.api_model_id, model.context_window)
        settings = CompressionSettings(strategy="off" if strategy == "none" else strategy, memory=InMemoryCompactionSupport())
        started = time.perf_counter()
        outcome = analyze(model, analysis_input, api_key="sk-bench", timeout=TIMEOUT_SECONDS, compression=settings)
        seconds = time.perf_counter() - started
        assert outcome.compression.applied == strategy, (strategy, outcome.compression.fallback_reason)
        final, text = final_request_text(fake)
        usages = [request.reply["usage"] for request in fake.requests()]
    return Figures(
        sample=sample,
        strategy=strategy,
        final_input_tokens=final.reply["usage"]["input_tokens"],
        share_of_none=1.0,  # filled in against `none` below
        billed_tokens=sum(usage["input_tokens"] + usage["output_tokens"] for usage in usages),
        billed_of_none=1.0,  # filled in against `none` below
        calls=len(usages),
        cost_usd=outcome.totals.cost_usd,
        cost_of_none=1.0,
        seconds=seconds,
        key_facts=key_fact_coverage(facts, text),
    )


def bench_sample(sample: Path, raw_tokens: int, window: int) -> list[Figures]:
    name = f"{sample.parent.parent.name}/{sample.parent.name}"
    data_dir = Path(tempfile.mkdtemp(prefix="debrief-bench-compression-"))
    try:
        session = read_session(scaled_run(sample, data_dir, raw_tokens))
        analysis_input, facts = build_digest(session, findings=digest_findings).input, key_facts(session)
        rows = [run_strategy(name, strategy, analysis_input, facts, window) for strategy in STRATEGIES]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    none = rows[0]
    return [
        replace(row, share_of_none=row.final_input_tokens / none.final_input_tokens,
                billed_of_none=row.billed_tokens / none.billed_tokens, cost_of_none=row.cost_usd / none.cost_usd)
        for row in rows
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-tokens", type=int, default=300_000, help="raw material each sample is scaled up to")
    parser.add_argument("--window", type=int, default=64_000, help="context window of the compressing model")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    samples = sorted(SAMPLES.glob("massgen-*/*/log_*[0-9]"))
    rows = [row for sample in samples for row in bench_sample(sample, args.raw_tokens, args.window)]
    summaries = [row for row in rows if row.strategy == "summarize"]
    worst_facts = min(row.key_facts for row in rows)
    worst_share = max(row.share_of_none for row in summaries)
    met = worst_facts >= TARGETS["key_facts"] and worst_share <= TARGETS["summarize_share"]
    if args.json:
        document = {"raw_tokens": args.raw_tokens, "window": args.window, "rows": [asdict(row) for row in rows], "met": met}
        print(json.dumps(document, indent=2))
        return 0 if met else 1
    print(f"Samples scaled to ~{args.raw_tokens:,} tokens of raw material; compressing model window {args.window:,}")
    print(f"{'sample':<52} {'strategy':<10} {'final call':>10} {'of none':>8} {'billed':>10} {'of none':>8} {'calls':>5} "
          f"{'cost':>8} {'of none':>8} {'time':>6} {'key facts':>9}")
    for row in rows:
        print(f"{row.sample:<52} {row.strategy:<10} {row.final_input_tokens:>10,} {row.share_of_none:>8.1%} "
              f"{row.billed_tokens:>10,} {row.billed_of_none:>7.2f}x {row.calls:>5} {'$' + format(row.cost_usd, '.4f'):>8} "
              f"{row.cost_of_none:>7.2f}x {row.seconds:>5.1f}s {row.key_facts:>9.0%}")
    print("Every sample together (every call billed, compression calls included):")
    totals = {strategy: [row for row in rows if row.strategy == strategy] for strategy in STRATEGIES}
    for strategy, group in totals.items():
        billed, cost = sum(row.billed_tokens for row in group), sum(row.cost_usd for row in group)
        record("compression", f"{strategy}: billed tokens vs none (every call)", billed / sum(r.billed_tokens for r in totals["none"]), "x")
        record("compression", f"{strategy}: cost vs none (every call)", cost / sum(r.cost_usd for r in totals["none"]), "x")
        print(f"  {strategy:<10} billed {billed:>11,} tokens = {billed / sum(r.billed_tokens for r in totals['none']):.2f}x none   "
              f"cost ${cost:.4f} = {cost / sum(r.cost_usd for r in totals['none']):.2f}x none")
    print(f"Targets: key facts {TARGETS['key_facts']:.0%} with every strategy (worst {worst_facts:.0%}); summarize "
          f"<= {TARGETS['summarize_share']:.0%} of none (worst {worst_share:.1%}) -> {'met' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
