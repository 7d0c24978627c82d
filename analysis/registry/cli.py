"""Plain-text rendering of `model_to_dict` rows and `estimate_to_dict` results for the
management commands. Pure functions over the public JSON shapes, so the CLI shows
exactly what the API returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DEFAULT_MARKER = "*"
COLUMN_GAP = "  "
SIGNIFICANT_DIGITS = 4  # enough for per-million prices like 0.025 or 1.25
FEATURE_COLUMNS = (("reasoning", "supports_reasoning"), ("compaction", "supports_native_compaction"))


def render_models_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """One line per model; `*` marks the default, the last column says why a model
    cannot be used."""
    if not rows:
        return "No models."
    header = ("", "MODEL", "PROVIDER", "CONTEXT", "MAX OUT", "IN $/M", "OUT $/M", "CACHED $/M", "FEATURES", "STATUS")
    right_aligned = {3, 4, 5, 6, 7}
    table = [header] + [
        (
            DEFAULT_MARKER if row["is_default"] else "",
            row["name"],
            row["provider"],
            f"{row['context_window']:,}",
            f"{row['max_output_tokens']:,}",
            _price(row["input_usd_per_mtok"]),
            _price(row["output_usd_per_mtok"]),
            _price(row["cached_input_usd_per_mtok"]),
            _features(row),
            _status(row),
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    lines = [
        COLUMN_GAP.join(
            cell.rjust(widths[column]) if column in right_aligned else cell.ljust(widths[column])
            for column, cell in enumerate(line)
        ).rstrip()
        for line in table
    ]
    return "\n".join(lines)


def render_estimate(estimate: Mapping[str, Any]) -> str:
    lines = [
        f"{estimate['model']}: {estimate['input_tokens']:,} input + {estimate['output_tokens']:,} output tokens"
        f" -> {_money(estimate['total_usd'])}"
        f" (input {_money(estimate['input_usd'])}, output {_money(estimate['output_usd'])})",
        _context_line(estimate),
    ]
    if estimate.get("price_known") is False:
        lines.append(f"Price unknown: {estimate['price_note']}")
    compression = estimate.get("compression")
    if compression:
        lines.append("Compression: " + ", ".join(f"{key} {value}" for key, value in compression.items()))
    recommendation = estimate.get("recommendation")
    if recommendation:
        advice = f"Default model: {recommendation['default_model']}"
        if recommendation["cheapest_fitting_model"]:
            advice += (
                f"; cheapest that holds it uncompressed: {recommendation['cheapest_fitting_model']}"
                f" ({_money(recommendation['cheapest_fitting_total_usd'])})"
            )
        lines.append(advice)
        lines += [f"Warning: {warning}" for warning in recommendation["warnings"]]
    return "\n".join(lines)


def _context_line(estimate: Mapping[str, Any]) -> str:
    verdict = "fits" if estimate["fits_context"] else "does NOT fit uncompressed"
    line = f"Context: {verdict} in {estimate['context_window']:,} tokens"
    if "output_reserve_tokens" in estimate and "safety_margin_tokens" in estimate:
        line += (
            f" ({estimate['input_tokens']:,} input + {estimate['output_reserve_tokens']:,} output reserve"
            f" + {estimate['safety_margin_tokens']:,} margin)"
        )
    return line


def _status(row: Mapping[str, Any]) -> str:
    if not row["available"]:
        return f"unavailable: {row['unavailable_reason']}"
    if row.get("listed_live"):
        unpriced = "; price unknown" if row.get("price_known") is False else ""
        return f"available (listed by its endpoint{unpriced})"
    note = row.get("availability_note")
    return f"available ({note})" if note else "available"


def _features(row: Mapping[str, Any]) -> str:
    return ",".join(label for label, key in FEATURE_COLUMNS if row[key]) or "-"


def _price(usd_per_mtok: float | None) -> str:
    return "-" if usd_per_mtok is None else f"{usd_per_mtok:.{SIGNIFICANT_DIGITS}g}"


def _money(usd: float) -> str:
    # Sub-cent runs are common with small models; "$0.00" would hide them.
    return f"${usd:.4f}" if 0 < usd < 0.01 else f"${usd:,.2f}"
