"""Helpers shared by the analysis tests that are not fixtures."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.utils import timezone

from webapp.analyses import pipeline
from webapp.analyses.models import Analysis


def work(analysis: Analysis) -> Analysis:
    """One delivery of the analysis task, minus Celery."""
    claimed = pipeline.claim(analysis.pk)
    assert claimed is not None, "the analysis could not be claimed"
    pipeline.run(claimed)
    return Analysis.objects.get(pk=analysis.pk)


class Markup(HTMLParser):
    """The elements and attributes a browser would build from the HTML."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """No script, no event handler, no style attribute, no link other than http(s),
    mailto and the site's own."""
    for tag, attrs in Markup(html).tags:
        assert tag not in ("script", "img", "iframe", "svg", "object", "embed"), tag
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (tag, name, value)
            if name == "href" and value and not value.startswith(("/", "?", "#")):
                assert urlsplit(value.strip()).scheme in ("http", "https", "mailto"), value


class WorkerKilled(BaseException):
    """What a SIGKILL looks like to the code under test: nothing after it runs, no
    handler sees it (it is no Exception), the row keeps whatever was last written."""


def dies_during_first_call(monkeypatch, module, name: str) -> None:
    """Make `module.name` (the function a call goes through) kill the worker the first
    time it is called, while the call is out; later calls go through."""
    original = getattr(module, name)
    made = []

    def call(*args, **kwargs):
        if not made:
            made.append(name)
            raise WorkerKilled()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, call)


def swept_and_delivered_twice(monkeypatch, row, task, sweeper) -> None:
    """After a killed worker: `row`'s lease runs out, the sweeper finds it (and must
    send it once), and `task` then runs twice, for the sweeper's message and the
    broker's redelivery of the first one."""
    type(row).objects.filter(pk=row.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    sent = []
    monkeypatch.setattr(task, "delay", sent.append)
    assert sweeper() == 1
    for row_id in [*sent, *sent]:
        task.apply(args=[row_id])
