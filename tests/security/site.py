"""One team's worth of everything the pages show, for the CSP tests: a ready run
with stored files (through the real ingest), a finished offline analysis, a share
link, an API token and a second member."""

from __future__ import annotations

from types import SimpleNamespace

from tests.analyses.support import work
from tests.samples import ingest_sample
from webapp.analyses import services as analyses
from webapp.api.tokens import do_create_token
from webapp.runs.models import RunFile


def build_site(people, monkeypatch) -> SimpleNamespace:
    monkeypatch.setattr("webapp.analyses.services.enqueue", lambda analysis_id: None)  # the test runs the task itself
    run = ingest_sample(people.team_a)
    analysis = work(analyses.do_request_analysis(run, people.alice, "debrief/offline"))
    link, share_token = analyses.do_create_share(analysis, people.alice)
    api_token, raw_token = do_create_token(people.team_a, "full", "ci", people.alice)
    return SimpleNamespace(
        run=run,
        analysis=analysis,
        share_link=link,
        share_token=share_token,
        api_token=api_token,
        raw_token=raw_token,
        file=RunFile.objects.filter(run=run, path__endswith=".json").order_by("path").first().path,
        membership=people.team_a.memberships.get(user=people.bob),
        team=people.team_a,
    )
