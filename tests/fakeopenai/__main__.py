"""`python -m tests.fakeopenai --port N --record FILE`: the fake in its own process,
for code under test that runs in another process (a real Celery worker).

Prints one line `FAKEOPENAI_READY <base_url>` when it accepts connections, then
serves until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import signal
import sys

from tests.fakeopenai import tokens
from tests.fakeopenai.server import READY_LINE, FakeOpenAI


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeopenai", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--record", help="append every request to this JSONL file")
    parser.add_argument("--model", action="append", dest="models", help="model id listed by GET /v1/models")
    arguments = parser.parse_args(argv)

    fake = FakeOpenAI(port=arguments.port, record_path=arguments.record)
    if arguments.models:
        fake.configure(models=arguments.models)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tokens.count_text("gpt-5-mini", "warm up")  # import litellm now, not during the first request's time-out
    print(f"{READY_LINE} {fake.base_url}", flush=True)
    try:
        fake.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
