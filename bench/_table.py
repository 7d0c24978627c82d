"""`make bench`'s one table: the headline figures every benchmark recorded
(`_common.record`) in the file named by BENCH_SUMMARY."""

from __future__ import annotations

import json
import os
import sys

from _common import SUMMARY_ENV


def main() -> int:
    path = os.environ.get(SUMMARY_ENV)
    if not path or not os.path.exists(path):
        print("No figures recorded.")
        return 0
    with open(path, encoding="utf-8") as summary:
        rows = [json.loads(line) for line in summary if line.strip()]
    print(f"\n{'bench':<12} {'figure':<58} {'value':>12} {'unit':<6} {'target':<14} met")
    for row in rows:
        value = row["value"]
        shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
        met = "" if row["met"] is None else ("yes" if row["met"] else "NO")
        print(f"{row['bench']:<12} {row['figure']:<58} {shown:>12} {row['unit']:<6} {row['target']:<14} {met}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
