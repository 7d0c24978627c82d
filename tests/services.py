"""Reaching the real services tests depend on. Outside CI a missing service skips
the test that needs it; in CI (CI set) it fails, because a green run that skipped
the real parts would prove nothing."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def service_missing(message: str):
    if in_ci():
        pytest.fail(f"{message} (CI is set, so a missing service is a failure)")
    pytest.skip(message)


def tcp_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_redis(url: str) -> None:
    parsed = urlparse(url)
    if not tcp_reachable(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        service_missing(f"Redis is not reachable at {url}")
