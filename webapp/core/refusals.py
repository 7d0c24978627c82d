"""A request Debrief will not carry out, said once for every edge.

A service raises a `Refused` (or a subclass) with the reason written for a person;
its `code` is what the API returns in `error` and its `status` the HTTP status
(`webapp/api/errors.py`), an HTML view flashes the reason, a command prints it.
It lives at the floor so that every app can raise one and every edge can catch
them all without importing the apps above it."""

from __future__ import annotations


class Refused(Exception):
    code = "refused"
    status = 400

    def __init__(self, message: str, code: str | None = None, numbers: dict[str, float] | None = None):
        super().__init__(message)
        self.code = code or self.code
        self.numbers = numbers or {}  # the figures behind a refusal, for programs (the API adds them)
