"""Run as a script in a fresh interpreter (tests/llm/test_offline.py): records every
connection and name lookup that leaves this machine while litellm is imported and
an estimate, an analysis (OpenAI and Anthropic paths) and a compression are run
against the local fake server, then prints them as JSON. Nothing is blocked, so a
caller that would swallow an error (litellm's remote-config fallbacks do) is still seen."""

from __future__ import annotations

import ipaddress
import json
import socket
import sys

attempts: list[str] = []
_connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo


def _local(host) -> bool:
    host = host.decode() if isinstance(host, bytes) else host
    if host is None or str(host).lower() in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _record_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and not _local(address[0]):
        attempts.append(f"connect {address[0]}")
        raise OSError("offline probe: no outbound connections")
    return _connect(self, address)


def _record_getaddrinfo(host, *args, **kwargs):
    if not _local(host):
        attempts.append(f"lookup {host}")
        raise socket.gaierror("offline probe: no lookups")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _record_connect
socket.getaddrinfo = _record_getaddrinfo


def main() -> None:
    import analysis  # noqa: F401  (sets litellm's offline switches)
    from analysis.engine.analyzer import build_prompt, call_and_validate
    from analysis.compression import plan_compression
    from analysis.llm.litellm_env import get_litellm
    from analysis.llm.pricing import estimate
    from analysis.llm.tokens import count_input_tokens
    from analysis.registry import Registry, RegistryConfig
    from analysis.report.prompt import REPORT_FORMAT
    from tests.fakeopenai.server import FakeOpenAI
    from tests.llm.run_inputs import run_input

    get_litellm()
    with FakeOpenAI() as fake:
        env = {
            "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.base_url,
            "ANTHROPIC_API_KEY": "ak-test", "ANTHROPIC_BASE_URL": fake.base_url.removesuffix("/v1"),
        }
        registry = Registry.build(RegistryConfig(env=env, allowlist=("gpt-5-mini", "anthropic/claude-sonnet-4-5")))
        analysis_input = run_input(2_000)
        for name in ("gpt-5-mini", "anthropic/claude-sonnet-4-5"):
            model = registry.get(name)
            prompt = build_prompt(analysis_input)
            tokens = count_input_tokens(model, prompt.instructions, prompt.items, json_schema=REPORT_FORMAT)
            estimate(model, tokens)
            plan_compression(model, analysis_input)
            call_and_validate(model, prompt, api_key=env["OPENAI_API_KEY" if name == "gpt-5-mini" else "ANTHROPIC_API_KEY"], timeout=30)
    print(json.dumps(attempts))


if __name__ == "__main__":
    sys.exit(main())
