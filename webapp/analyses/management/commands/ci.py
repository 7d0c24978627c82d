"""`debrief ci upload PATH [--server URL] [--token T] [--analyze --model M] [--wait] [--fail-on warn|fail] [--json]`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from webapp.analyses.ci_client import (
    DEFAULT_TIMEOUT_SECONDS, ERROR, FAILING_VERDICTS, SERVER_ENV, TOKEN_ENV, CIError, Outcome, run_upload,
)


class Command(BaseCommand):
    help = "Talk to a Debrief server from CI: upload a run, analyse it, fail the build on its verdict."
    requires_system_checks: list = []  # a client: it touches no database

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        upload = actions.add_parser("upload", help="upload a run folder or archive", description=__doc__)
        upload.add_argument("path", type=Path, help="a MassGen log_* folder, or a .zip/.tar.gz/.tgz of one")
        upload.add_argument("--server", default=os.environ.get(SERVER_ENV, ""),
                            help=f"the Debrief server, e.g. https://debrief.example.com (default: ${SERVER_ENV})")
        upload.add_argument("--token", default=os.environ.get(TOKEN_ENV, ""), help=f"API token (default: ${TOKEN_ENV})")
        upload.add_argument("--analyze", action="store_true", help="analyse the run once it is read (needs a full token)")
        upload.add_argument("--model", help="the analysis model, e.g. debrief/offline or gpt-5-mini")
        upload.add_argument("--max-cost", type=float, dest="max_cost_usd", help="refuse the analysis if its estimate is higher (USD)")
        upload.add_argument("--wait", action="store_true", help="wait for the run (and the analysis) to finish")
        upload.add_argument("--fail-on", choices=sorted(FAILING_VERDICTS), help="exit 1 when the verdict is this or worse (implies --wait)")
        upload.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS,
                            help="seconds to wait in all; an analysis still unfinished then is cancelled")
        upload.add_argument("--json", action="store_true", dest="as_json",
                            help='print one JSON object {"run", "analysis", "exit_code"} on stdout (progress goes to stderr)')

    def handle(self, *args, action, as_json=False, **options):
        outcome = Outcome()
        # With --json, stdout holds the one object; the human lines go to stderr.
        say = self.stderr.write if as_json else self.stdout.write
        try:
            code = run_upload(
                options["server"],
                options["token"],
                options["path"],
                outcome=outcome,
                analyze=options["analyze"],
                model=options["model"],
                max_cost_usd=options["max_cost_usd"],
                wait=options["wait"],
                fail_on=options["fail_on"],
                timeout=options["timeout"],
                out=say,
            )
        except CIError as error:
            self.stderr.write(f"debrief ci: {error}")
            code = outcome.exit_code = ERROR
            outcome.error = str(error)
        if as_json:
            self.stdout.write(json.dumps(outcome.to_json()))
        sys.exit(code)
