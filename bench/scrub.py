"""Benchmark of secret scrubbing (`scrub_file`) against the machine's floor.

    .venv/bin/python bench/scrub.py [--size-mb 200] [--repeat 3]

Builds two files of --size-mb in a temporary directory, then times, on warm page
cache and keeping the best of --repeat runs:

- mixed: a MassGen event stream (the bundled sample's events, repeated) with a
  single-line JSON event carrying a quarter of the size as random base64, tool
  calls whose JSON-escaped arguments hold a planted key every ~1 MB, and a few
  runs of binary bytes. It has secrets, so scrubbing rewrites it;
- base64: one line of random base64 and nothing else (it took 102 s before:
  a marker on every piece re-ran every pattern over it). Nothing to redact, so
  scrubbing only reads it.

The floor is the same bytes read and written to a new file in 4 MiB blocks
(what any rewrite costs); `read` is reading them alone. Exits 1 when scrub_file
on the mixed file takes more than TARGET_RATIO times the floor, or leaves a
planted secret behind."""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT

sys.path.insert(0, str(ROOT))

from analysis.redaction.scrub import scrub_bytes, scrub_file  # noqa: E402

SAMPLE_EVENTS = ROOT / "tests/fixtures/massgen-runs/massgen-0.1.97/tcp-udp-2agents-basic/log_20261124_045018_378157/turn_1/attempt_1/events.jsonl"
# scrub_file reads, scans (Hyperscan, ~0.25 s per 200 MB here), rewrites and
# replaces a file with secrets; the floor only reads and writes it. Measured
# ~4x on this 2-core machine; the guard is against the old 100 s pathologies.
TARGET_RATIO = 5.0
MB = 1024 * 1024
BLOCK = 4 * MB
SECRET_EVERY_BYTES = MB
BASE64_SHARE = 4  # a quarter of the mixed file is one base64 line
PLANTED = (
    "sk-proj-{n:04d}Zq8xT0pSecretKey0123456789abcdef",
    "ghp_{n:04d}abcdefghijklmnopqrstuvwxyz0123456789",
    "xoxb-{n:04d}-1234567890-abcdefghijklmnop",
)


def _random_base64(size: int, seed: int) -> bytes:
    generator = random.Random(seed)
    return base64.b64encode(generator.randbytes(size * 3 // 4))[:size]


def build_mixed(path: Path, size: int) -> list[bytes]:
    """The mixed file; returns the secrets planted in it."""
    events = SAMPLE_EVENTS.read_bytes().splitlines(keepends=True)
    planted: list[bytes] = []
    written = 0
    next_secret = 0
    blob_at = size // 3
    with open(path, "wb") as out:
        index = 0
        while written < size:
            if written >= next_secret:
                secret = PLANTED[len(planted) % len(PLANTED)].format(n=len(planted))
                arguments = json.dumps({"url": "https://api.example.com/v1", "api_key": secret, "query": "tcp vs udp"})
                line = json.dumps({"event_type": "tool_start", "data": {"tool_name": "fetch", "arguments": arguments}}) + "\n"
                planted.append(secret.encode())
                next_secret += SECRET_EVERY_BYTES
            elif blob_at is not None and written >= blob_at:
                blob = _random_base64(size // BASE64_SHARE, seed=1).decode()
                line = json.dumps({"event_type": "tool_result", "data": {"image": blob}}) + "\n"
                blob_at = None
            elif index % 5000 == 4999:
                line = "binary tail " + os.urandom(256).hex() + "\n"
                out.write(b"\x00\x01\x02\xfe\xff" * 50 + b"\n")
            else:
                line = events[index % len(events)].decode()
            data = line.encode() if isinstance(line, str) else line
            out.write(data)
            written += len(data)
            index += 1
    return planted


def build_base64(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        out.write(b'{"image": "' + _random_base64(size, seed=2) + b'"}\n')


def floor_seconds(path: Path, scratch: Path) -> tuple[float, float]:
    """(read and write, read alone) of the file in BLOCK pieces."""
    started = time.perf_counter()
    with open(path, "rb", buffering=0) as source, open(scratch, "wb", buffering=0) as target:
        while block := source.read(BLOCK):
            target.write(block)
    both = time.perf_counter() - started
    os.unlink(scratch)
    started = time.perf_counter()
    with open(path, "rb", buffering=0) as source:
        while source.read(BLOCK):
            pass
    return both, time.perf_counter() - started


def scrub_seconds(path: Path, work: Path) -> tuple[float, bool, Path]:
    copy = work / f"scrubbed-{path.name}"
    shutil.copyfile(path, copy)
    with open(copy, "rb") as warm:
        while warm.read(64 * MB):
            pass
    started = time.perf_counter()
    changed = scrub_file(copy)
    return time.perf_counter() - started, changed, copy


def leftovers(path: Path, planted: list[bytes]) -> int:
    data = path.read_bytes()
    return sum(1 for secret in planted if secret in data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=200, help="size of each file (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side; the best counts (default 3)")
    options = parser.parse_args(argv)
    size = int(options.size_mb * MB)

    work = Path(tempfile.mkdtemp(prefix="debrief-bench-scrub-"))
    try:
        mixed, blob = work / "mixed.jsonl", work / "base64.json"
        planted = build_mixed(mixed, size)
        build_base64(blob, size)
        ok = True
        print(f"{'file':8s} {'MB':>7s} {'floor r+w':>10s} {'read':>8s} {'scrub_file':>11s} {'MB/s':>8s} {'scrub/floor':>12s}")
        for path in (mixed, blob):
            megabytes = path.stat().st_size / MB
            floors = [floor_seconds(path, work / "floor.tmp") for _ in range(options.repeat)]
            floor, read = min(both for both, _ in floors), min(alone for _, alone in floors)
            runs = []
            for _ in range(options.repeat):
                seconds, changed, copy = scrub_seconds(path, work)
                runs.append((seconds, changed, copy))
            best, changed, copy = min(runs, key=lambda run: run[0])
            ratio = best / floor
            name = path.stem
            print(f"{name:8s} {megabytes:7.1f} {floor:9.2f}s {read:7.2f}s {best:10.2f}s {megabytes / best:8.0f} {ratio:12.2f}"
                  f"  ({'rewritten' if changed else 'unchanged, only read'})")
            if path is mixed:
                left = leftovers(copy, planted)
                ratio_ok = ratio <= TARGET_RATIO
                print(f"mixed: {len(planted)} planted secrets, {left} left after scrubbing (target 0) {'PASS' if not left else 'FAIL'}")
                print(f"mixed: scrub_file / floor {ratio:.2f} (target <= {TARGET_RATIO}) {'PASS' if ratio_ok else 'FAIL'}")
                ok = ok and ratio_ok and not left
            for _, _, leftover in runs:
                leftover.unlink(missing_ok=True)
        print()
        print("files made of nothing but candidates (4 MB each; hostile input must cost bounded time per byte):")
        for name, data in dense_inputs(DENSE_BYTES).items():
            started = time.perf_counter()
            scrub_bytes(data)
            seconds = time.perf_counter() - started
            print(f"  {name:28s} {seconds:6.2f}s {DENSE_BYTES / MB / seconds:7.1f} MB/s")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


DENSE_BYTES = 4 * MB


def dense_inputs(size: int) -> dict[str, bytes]:
    """The worst cases for a candidate-driven scrubber: every few bytes a credential
    name, an escaped JSON key, a PEM header or a bearer scheme, none with an end."""
    return {
        "api_key= repeated": b"api_key=" * (size // 8),
        '{\\"password\\": \\" repeated': b'{\\"password\\": \\"' * (size // 17),
        "PEM BEGIN lines": b"-----BEGIN RSA PRIVATE KEY-----\n" * (size // 32),
        "Authorization: Bearer ": b"Authorization: Bearer " * (size // 22),
        "random base64": base64.b64encode(random.Random(1).randbytes(size * 3 // 4)),
    }


if __name__ == "__main__":
    sys.exit(main())
