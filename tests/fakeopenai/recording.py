"""What the fake server saw: one record per HTTP request, in memory and optionally
appended to a JSONL file so a test can read what another process sent."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """A request and the fake's reply to it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, None when the body was empty or not JSON
    raw: bytes
    reply_status: int = 0
    reply_raw: bytes = b""

    @property
    def reply(self) -> Any:
        try:
            return json.loads(self.reply_raw)
        except ValueError:
            return None

    @property
    def endpoint(self) -> str | None:
        from tests.fakeopenai.routes import endpoint_for

        return endpoint_for(self.method, self.path)

    @property
    def authorization(self) -> str | None:
        return next((value for name, value in self.headers.items() if name.lower() == "authorization"), None)

    def to_json_line(self) -> str:
        return json.dumps(
            {
                "method": self.method,
                "path": self.path,
                "headers": self.headers,
                "body": self.body,
                "raw_b64": base64.b64encode(self.raw).decode("ascii"),
                "reply_status": self.reply_status,
                "reply_raw_b64": base64.b64encode(self.reply_raw).decode("ascii"),
            }
        )

    @classmethod
    def from_json_line(cls, line: str) -> "RecordedRequest":
        data = json.loads(line)
        return cls(
            data["method"],
            data["path"],
            data["headers"],
            data["body"],
            base64.b64decode(data["raw_b64"]),
            data["reply_status"],
            base64.b64decode(data["reply_raw_b64"]),
        )


def read_recorded(path: str | Path) -> list[RecordedRequest]:
    file = Path(path)
    if not file.exists():
        return []
    return [RecordedRequest.from_json_line(line) for line in file.read_text().splitlines() if line.strip()]
