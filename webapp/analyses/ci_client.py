"""`debrief ci upload`: send a run to a Debrief server from CI, optionally analyse
it, wait, and turn the verdict into an exit code. A client of the public API
only, on the standard library: it needs no database and no Django setting.

Exit codes: 0 done, 1 the verdict meets --fail-on, 2 anything went wrong."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable

OK, VERDICT_FAILED, ERROR = 0, 1, 2
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
DEFAULT_TIMEOUT_SECONDS = 900
POLL_SECONDS = 2.0
REQUEST_TIMEOUT_SECONDS = 120
# Which verdicts fail the build for each --fail-on.
FAILING_VERDICTS = {"warn": ("warn", "fail"), "fail": ("fail",)}
RUN_FINISHED = ("ready", "failed")
ANALYSIS_FINISHED = ("done", "failed", "cancelled")
FULL_SCOPE_HINT = "analysing a run and waiting for it need a token with scope `full` (an `upload` token can only upload)"


class CIError(Exception):
    """Ends the command with exit code 2 and this message."""


@dataclass
class Api:
    server: str
    token: str
    timeout: float = REQUEST_TIMEOUT_SECONDS

    def call(self, method: str, path: str, body: bytes | IO[bytes] | None = None, headers: dict | None = None) -> dict:
        url = f"{self.server.rstrip('/')}/api/v1{path}"
        request = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"Bearer {self.token}", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise CIError(_http_error(method, url, error)) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise CIError(f"cannot reach {self.server}: {reason}") from None
        except ValueError:
            raise CIError(f"{method} {url} did not answer JSON; is {self.server} a Debrief server?") from None

    def post_json(self, path: str, document: dict) -> dict:
        return self.call("POST", path, json.dumps(document).encode(), {"Content-Type": "application/json"})


def _http_error(method: str, url: str, error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
        detail = f"{body.get('error', 'error')}: {body.get('detail', '')}"
    except ValueError:
        detail = error.reason
    message = f"{method} {url} answered {error.code} ({detail})"
    if error.code == 403:
        message += f"; {FULL_SCOPE_HINT}"
    return message


def upload(api: Api, path: Path) -> dict:
    """The run as the server describes it (`id`, `url`, `status`)."""
    with tempfile.TemporaryFile() as body:
        boundary = uuid.uuid4().hex
        name = _write_multipart(body, boundary, path)
        size = body.tell()
        body.seek(0)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(size)}
        run = api.call("POST", "/runs", body, headers)
    if "id" not in run:
        raise CIError(f"the server did not accept {name}: {run}")
    return run


def _write_multipart(body: IO[bytes], boundary: str, path: Path) -> str:
    """A folder is sent as a .tar.gz of itself, an archive as it is."""
    if path.is_dir():
        name = f"{path.name}.tar.gz"
    elif path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES):
        name = path.name
    else:
        raise CIError(f"{path} is neither a run folder nor a {', '.join(ARCHIVE_SUFFIXES)} archive")
    body.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    if path.is_dir():
        with tarfile.open(fileobj=_Unclosable(body), mode="w:gz") as archive:
            archive.add(path, arcname=path.name)
    else:
        with open(path, "rb") as source:
            shutil.copyfileobj(source, body)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    return name


class _Unclosable(io.RawIOBase):
    """Lets tarfile write into our body without closing it."""

    def __init__(self, target: IO[bytes]):
        self.target = target

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.target.write(data)


def wait_for(fetch: Callable[[], dict], finished: tuple[str, ...], what: str, deadline: float, sleep=time.sleep) -> dict:
    while True:
        item = fetch()
        if item.get("status") in finished:
            return item
        if time.monotonic() >= deadline:
            raise CIError(f"gave up waiting for {what} (still {item.get('status')}/{item.get('stage', '')}); raise --timeout")
        sleep(POLL_SECONDS)


def run_upload(
    server: str,
    token: str,
    path: Path,
    *,
    analyze: bool = False,
    model: str | None = None,
    max_cost_usd: float | None = None,
    wait: bool = False,
    fail_on: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    out: Callable[[str], None] = print,
    sleep=time.sleep,
) -> int:
    if not token:
        raise CIError("no API token: pass --token or set DEBRIEF_TOKEN")
    if analyze and not model:
        raise CIError("--analyze needs --model (for example --model debrief/offline, which costs nothing)")
    if fail_on and not analyze:
        raise CIError("--fail-on needs --analyze: only an analysis has a verdict")
    api = Api(server, token)
    deadline = time.monotonic() + timeout
    run = upload(api, path)
    out(f"uploaded {path.name}: {run['url']}")
    if not (analyze or wait):
        return OK
    run = wait_for(lambda: api.call("GET", f"/runs/{run['id']}"), RUN_FINISHED, "the run to be read", deadline, sleep)
    if run["status"] != "ready":
        raise CIError(f"the server could not read the run: {run.get('error') or 'no reason given'}")
    if not analyze:
        out(f"run ready: {run['url']}")
        return OK
    request = {"model": model} | ({"max_cost_usd": max_cost_usd} if max_cost_usd is not None else {})
    queued = api.post_json(f"/runs/{run['id']}/analyses", request)
    out(f"analysis queued with {model} (estimate ${queued['estimate']['total_usd']:.4f}): {queued['url']}")
    if not (wait or fail_on):
        return OK
    analysis = wait_for(lambda: api.call("GET", f"/analyses/{queued['id']}"), ANALYSIS_FINISHED, "the analysis", deadline, sleep)
    if analysis["status"] != "done":
        raise CIError(f"the analysis {analysis['status']}: {analysis.get('error') or 'no reason given'} ({analysis['url']})")
    findings = analysis["findings"]
    out(f"verdict: {analysis['verdict']} ({len(findings)} finding{'s' if len(findings) != 1 else ''}, "
        f"${analysis['actual']['cost_usd']:.4f}, answered by {analysis['answered_by']})")
    out(f"report: {analysis['url']}")
    if fail_on and analysis["verdict"] in FAILING_VERDICTS[fail_on]:
        return VERDICT_FAILED
    return OK
