"""`debrief ci upload`: send a run to a Debrief server from CI, optionally analyse
it, wait, and turn the verdict into an exit code. A client of the public API
only, on the standard library: it needs no database and no Django setting.

Exit codes: 0 done, 1 the verdict meets --fail-on, 2 anything went wrong."""

from __future__ import annotations

import decimal
import email.utils
import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable

OK, VERDICT_FAILED, ERROR = 0, 1, 2
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
DEFAULT_TIMEOUT_SECONDS = 900
POLL_SECONDS = 2.0
REQUEST_TIMEOUT_SECONDS = 120
# While waiting, a line at least this often, so a CI log shows the job is alive.
PROGRESS_SECONDS = 30
# Answers that mean "come back later": wait Retry-After seconds and ask again.
RETRY_STATUSES = (429, 503)
# When a 429/503 names no (readable) Retry-After.
DEFAULT_RETRY_SECONDS = 5
SERVER_ENV = "DEBRIEF_SERVER"
TOKEN_ENV = "DEBRIEF_TOKEN"
# Which verdicts fail the build for each --fail-on.
FAILING_VERDICTS = {"warn": ("warn", "fail"), "fail": ("fail",)}
RUN_FINISHED = ("ready", "failed")
ANALYSIS_FINISHED = ("done", "failed", "cancelled")
FULL_SCOPE_HINT = "analysing a run and waiting for it need a token with scope `full` (an `upload` token can only upload)"


class CIError(Exception):
    """Ends the command with exit code 2 and this message."""


@dataclass
class Outcome:
    """What `--json` prints: the run, the analysis (None if none was started) and the exit code."""

    run: dict | None = None
    analysis: dict | None = None
    exit_code: int = OK
    error: str | None = None

    def to_json(self) -> dict:
        document = {"run": self.run, "analysis": self.analysis, "exit_code": self.exit_code}
        return document | ({"error": self.error} if self.error else {})


@dataclass
class Api:
    server: str
    token: str
    timeout: float = REQUEST_TIMEOUT_SECONDS
    deadline: float | None = None  # time.monotonic() after which a 429/503 is not waited out
    sleep: Callable[[float], None] = time.sleep
    note: Callable[[str], None] = lambda line: None

    def call(self, method: str, path: str, body: bytes | IO[bytes] | None = None, headers: dict | None = None) -> dict:
        url = f"{self.server.rstrip('/')}/api/v1{path}"
        while True:
            if hasattr(body, "seek"):
                body.seek(0)  # a retried upload sends the whole body again
            request = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"Bearer {self.token}", **(headers or {})})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as error:
                wait = self._retry_wait(error)
                if wait is None:
                    raise CIError(_http_error(method, url, error)) from None
                self.note(f"{method} {url} answered {error.code}; retrying in {wait} s")
                self.sleep(wait)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                raise CIError(f"cannot reach {self.server}: {reason}") from None
            except ValueError:
                raise CIError(f"{method} {url} did not answer JSON; is {self.server} a Debrief server?") from None

    def _retry_wait(self, error: urllib.error.HTTPError) -> int | None:
        """Seconds to wait before asking again, or None: give up now."""
        if error.code not in RETRY_STATUSES:
            return None
        wait = retry_after_seconds(error.headers.get("Retry-After"))
        if self.deadline is not None and time.monotonic() + wait > self.deadline:
            return None
        return wait

    def post_json(self, path: str, document: dict) -> dict:
        return self.call("POST", path, json.dumps(document).encode(), {"Content-Type": "application/json"})


def retry_after_seconds(header: str | None, now: float | None = None) -> int:
    """Retry-After is either seconds or an HTTP date (RFC 9110 10.2.3)."""
    if header is None:
        return DEFAULT_RETRY_SECONDS
    header = header.strip()
    if header.isdigit():
        return int(header)
    try:
        moment = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_SECONDS
    return max(0, int(moment.timestamp() - (time.time() if now is None else now) + 0.999))


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


class MultipartBody:
    """One multipart body, written once: the archive in `file` and any form fields.
    `POST /estimate` and `POST /runs` take the same body (the upload ignores the
    fields), so what is estimated is byte for byte what is uploaded."""

    def __init__(self, body: IO[bytes], path: Path, fields: dict[str, str] | None = None):
        self.body = body
        self.boundary = uuid.uuid4().hex
        self.name = _write_multipart(body, self.boundary, path, fields or {})
        self.size = body.tell()

    def post(self, api: Api, where: str) -> dict:
        self.body.seek(0)
        headers = {"Content-Type": f"multipart/form-data; boundary={self.boundary}", "Content-Length": str(self.size)}
        return api.call("POST", where, self.body, headers)

    def estimate(self, api: Api) -> dict:
        return self.post(api, "/estimate")

    def upload(self, api: Api) -> dict:
        run = self.post(api, "/runs")
        if "id" not in run:
            raise CIError(f"the server did not accept {self.name}: {run}")
        return run


def _write_multipart(body: IO[bytes], boundary: str, path: Path, fields: dict[str, str]) -> str:
    """A folder is sent as a .tar.gz of itself, an archive as it is."""
    if path.is_dir():
        name = f"{path.name}.tar.gz"
    elif path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES):
        name = path.name
    else:
        raise CIError(f"{path} is neither a run folder nor a {', '.join(ARCHIVE_SUFFIXES)} archive")
    for key, value in fields.items():
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    body.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    if path.is_dir():
        write_archive(path, _Unclosable(body))
    else:
        with open(path, "rb") as source:
            shutil.copyfileobj(source, body)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    return name


def write_archive(folder: Path, target: IO[bytes]) -> None:
    """The folder as a .tar.gz that depends only on its files' names, contents and
    modes: members sorted, times 0, owner root, no name or time in the gzip
    header. The same folder uploaded twice has one SHA-256, so the server
    answers the second upload with the first run instead of a copy."""
    with gzip.GzipFile(filename="", mode="wb", fileobj=target, mtime=0) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for member in [folder, *sorted(folder.rglob("*"))]:
                arcname = Path(folder.name) / member.relative_to(folder)
                archive.add(member, arcname=arcname.as_posix(), recursive=False, filter=_normalised)


def _normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mode = 0o755 if info.isdir() or info.mode & 0o111 else 0o644
    info.pax_headers = {}
    return info


class _Unclosable(io.RawIOBase):
    """Lets tarfile write into our body without closing it."""

    def __init__(self, target: IO[bytes]):
        self.target = target

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.target.write(data)


def wait_for(
    fetch: Callable[[], dict], finished: tuple[str, ...], what: str, deadline: float, sleep=time.sleep,
    progress: Callable[[str], None] = lambda line: None,
) -> dict | None:
    """The item once its status is in `finished`; None when the deadline passed first.
    A progress line every PROGRESS_SECONDS."""
    started = time.monotonic()
    next_line = started + PROGRESS_SECONDS
    while True:
        item = fetch()
        if item.get("status") in finished:
            return item
        now = time.monotonic()
        if now >= deadline:
            return None
        if now >= next_line:
            stage = f"/{item['stage']}" if item.get("stage") else ""
            progress(f"waiting for {what}: {item.get('status')}{stage} after {now - started:.0f} s")
            next_line = now + PROGRESS_SECONDS
        sleep(POLL_SECONDS)


def run_upload(server: str, token: str, path: Path, *, outcome: Outcome | None = None, **options) -> int:
    """`debrief ci upload`: the exit code; `outcome` (if given) is filled for --json."""
    outcome = outcome if outcome is not None else Outcome()
    outcome.exit_code = _upload_and_analyse(server, token, path, outcome, **options)
    return outcome.exit_code


def _upload_and_analyse(
    server: str,
    token: str,
    path: Path,
    outcome: Outcome,
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
    server = server or os.environ.get(SERVER_ENV, "")
    if not server:
        raise CIError(f"no server: pass --server or set {SERVER_ENV}")
    if not token:
        raise CIError(f"no API token: pass --token or set {TOKEN_ENV}")
    if analyze and not model:
        raise CIError("--analyze needs --model (for example --model debrief/offline, which costs nothing)")
    if model and not model.isprintable():
        raise CIError(f"--model {model!r} is not a model name")
    if fail_on and not analyze:
        raise CIError("--fail-on needs --analyze: only an analysis has a verdict")
    if (model or max_cost_usd is not None) and not analyze:
        # Silently uploading without the analysis asked for would pass a build that meant to check one.
        raise CIError("--model and --max-cost need --analyze (add --analyze to analyse the run after the upload)")
    deadline = time.monotonic() + timeout
    api = Api(server, token, deadline=deadline, sleep=sleep, note=out)
    with tempfile.TemporaryFile() as body:
        request = MultipartBody(body, path, {"model": model} if analyze else None)
        if analyze:
            # Before uploading: a refused model or a run over --max-cost leaves no run behind.
            check_model(api, model)
            check_estimate(request.estimate(api), max_cost_usd, out)
        run = request.upload(api)
    outcome.run = {"id": run["id"], "url": run["url"]}
    out(f"uploaded {path.name}: {run['url']}")
    if not (analyze or wait):
        return OK
    run = wait_for(lambda: api.call("GET", f"/runs/{run['id']}"), RUN_FINISHED, "the run to be read", deadline, sleep, out)
    if run is None:
        raise CIError(f"gave up waiting for the run to be read after {timeout:.0f} s; raise --timeout")
    if run["status"] != "ready":
        raise CIError(f"the server could not read the run: {run.get('error') or 'no reason given'}")
    if not analyze:
        out(f"run ready: {run['url']}")
        return OK
    request = {"model": model} | ({"max_cost_usd": max_cost_usd} if max_cost_usd is not None else {})
    queued = api.post_json(f"/runs/{run['id']}/analyses", request)
    outcome.analysis = _analysis_outcome(queued | {"verdict": None, "actual": {"cost_usd": None}})
    out(f"analysis queued with {model} (estimate ${queued['estimate']['total_usd']:.4f}): {queued['url']}")
    if not (wait or fail_on):
        return OK
    analysis = wait_for(lambda: api.call("GET", f"/analyses/{queued['id']}"), ANALYSIS_FINISHED, "the analysis", deadline, sleep, out)
    if analysis is None:
        # Nobody is left to read it: stop it rather than let it run (and cost) unseen.
        cancelled = api.call("POST", f"/analyses/{queued['id']}/cancel")
        outcome.analysis = _analysis_outcome(cancelled)
        raise CIError(f"gave up waiting for the analysis after {timeout:.0f} s (it was {cancelled.get('status')}; "
                      f"cancel requested); raise --timeout")
    outcome.analysis = _analysis_outcome(analysis)
    if analysis["status"] != "done":
        raise CIError(f"the analysis {analysis['status']}: {analysis.get('error') or 'no reason given'} ({analysis['url']})")
    findings = analysis["findings"]
    out(f"verdict: {analysis['verdict']} ({len(findings)} finding{'s' if len(findings) != 1 else ''}, "
        f"${analysis['actual']['cost_usd']:.4f}, answered by {analysis['answered_by']})")
    out(f"report: {analysis['url']}")
    if fail_on and analysis["verdict"] in FAILING_VERDICTS[fail_on]:
        return VERDICT_FAILED
    return OK


def check_model(api: Api, model: str) -> None:
    """The server offers `model` and can use it; else CIError with its reason."""
    rows = api.call("GET", f"/models?{urllib.parse.urlencode({'q': model})}")
    row = next((row for row in rows if row.get("name") == model), None)
    if row is None:
        raise CIError(f"unknown_model: the server offers no model {model!r} (see `GET /api/v1/models`); nothing was uploaded")
    if not row.get("available"):
        raise CIError(f"model_unavailable: {model} cannot be used on the server: {row.get('unavailable_reason')}; nothing was uploaded")


def expected_total_usd(estimate: dict) -> float:
    """What the analysis is expected to cost: with its compression when it needs one
    (the rule the server holds max_cost_usd to, webapp.llm.compression_preview)."""
    plan = estimate.get("compression")
    if plan and plan.get("possible") and plan.get("strategy") != "none":
        return plan["total_usd"]
    return estimate["total_usd"]


def check_estimate(estimate: dict, max_cost_usd: float | None, out: Callable[[str], None]) -> None:
    """The server's estimate of the archive (`POST /estimate`) allows the analysis;
    else CIError naming the server's own refusal code."""
    plan = estimate.get("compression")
    if plan and not plan.get("possible"):
        raise CIError(f"does_not_fit: {plan.get('reason')}; nothing was uploaded")
    total = expected_total_usd(estimate)
    if not estimate.get("price_known", True):
        if max_cost_usd is not None:
            raise CIError(f"price_unknown: {estimate.get('price_note')} Until then --max-cost cannot be checked; "
                          "nothing was uploaded")
        out(f"estimate: {estimate['model']} has no known price; {estimate['input_tokens']:,} input tokens")
        return
    if max_cost_usd is not None and total > max_cost_usd:
        raise CIError(f"over_max_cost: the estimate ${total:.4f} for {estimate['model']} exceeds --max-cost "
                      f"${decimal.Decimal(str(max_cost_usd)).normalize():f}; nothing was uploaded")
    out(f"estimate: ${total:.4f} with {estimate['model']} ({estimate['input_tokens']:,} input tokens)")


def _analysis_outcome(analysis: dict) -> dict:
    return {
        "id": analysis["id"],
        "url": analysis["url"],
        "status": analysis["status"],
        "verdict": analysis.get("verdict"),
        "cost_usd": (analysis.get("actual") or {}).get("cost_usd"),
    }
