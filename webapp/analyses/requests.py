"""One request to start an analysis, validated once, whoever sends it: the
Analyse panel and the re-run button (form fields), the API (a JSON body), the
`debrief analyze` command and, through the API, the CI client. Each edge only
turns its input into an `AnalysisRequest`; `services.do_analyse` runs it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.http import Http404

from webapp.analyses.errors import AnalysisRefused
from webapp.llm.services import COMPRESSION_CHOICES, DEFAULT_COMPRESSION
from webapp.runs.models import Attempt, Run

API_USAGE = 'Send {"model": "<name>"}, optionally "max_cost_usd", "compression", "turn" and "attempt".'


class BadAnalysisRequest(AnalysisRefused):
    """The request itself cannot be read (as opposed to a refusal of a readable one)."""

    code = "bad_request"


@dataclass(frozen=True)
class AnalysisRequest:
    model: str
    compression: str = DEFAULT_COMPRESSION
    max_cost_usd: Decimal | None = None
    # Both or neither: the attempt the panel was showing; neither is the digest's default.
    turn: int | None = None
    attempt: int | None = None

    def __post_init__(self):
        if not isinstance(self.model, str) or not self.model.strip():
            raise BadAnalysisRequest("Choose a model to analyse the run with.")
        object.__setattr__(self, "model", self.model.strip())
        if self.max_cost_usd is not None and not isinstance(self.max_cost_usd, Decimal):
            object.__setattr__(self, "max_cost_usd", _money(self.max_cost_usd))
        if self.compression not in COMPRESSION_CHOICES:
            raise AnalysisRefused(
                f"Unknown compression {self.compression!r}; use one of {', '.join(COMPRESSION_CHOICES)}.", "bad_compression"
            )
        if self.max_cost_usd is not None and (not self.max_cost_usd.is_finite() or self.max_cost_usd < 0):
            raise BadAnalysisRequest("max_cost_usd must be zero or more.")
        if (self.turn is None) != (self.attempt is None):
            raise BadAnalysisRequest("Name both the turn and the attempt, or neither.")

    @classmethod
    def from_json(cls, body: bytes) -> "AnalysisRequest":
        """The body of `POST /api/v1/runs/{id}/analyses`."""
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise BadAnalysisRequest("The body is not JSON.") from None
        if not isinstance(data, dict) or not isinstance(data.get("model"), str) or not data["model"].strip():
            raise BadAnalysisRequest(API_USAGE)
        return cls(
            data["model"],
            data.get("compression") or DEFAULT_COMPRESSION,
            _money(data.get("max_cost_usd")),
            _whole(data.get("turn"), "turn"),
            _whole(data.get("attempt"), "attempt"),
        )

    @classmethod
    def from_form(cls, form: Mapping, compression: str | None = None) -> "AnalysisRequest":
        """The Analyse panel's and the re-run button's fields. A turn/attempt that
        is not a number is ignored (the panel then analyses the default attempt),
        as the page's own ?turn=&attempt= are."""
        turn, number = str(form.get("turn", "")), str(form.get("attempt", ""))
        numbered = turn.isdigit() and number.isdigit()
        return cls(
            str(form.get("model", "")),
            compression or form.get("compression") or DEFAULT_COMPRESSION,
            turn=int(turn) if numbered else None,
            attempt=int(number) if numbered else None,
        )

    def attempt_of(self, run: Run) -> Attempt | None:
        """The named attempt of this run (Http404 if it has none such); None: the default."""
        if self.turn is None:
            return None
        found = Attempt.objects.filter(run=run, turn=self.turn, attempt=self.attempt).first()
        if found is None:
            raise Http404(f"The run has no attempt {self.attempt} in turn {self.turn}.")
        return found


def _money(raw) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise BadAnalysisRequest("max_cost_usd must be a number of dollars.")
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise BadAnalysisRequest("max_cost_usd must be a number of dollars.") from None


def _whole(raw, name: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise BadAnalysisRequest(f"{name} must be a whole number.")
    return raw
