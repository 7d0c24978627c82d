"""`debrief models list [--provider P] [--available] [--live] [--json] [--for RUN|PATH]`: the model registry."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from analysis.registry import RegistryError
from analysis.registry.cli import render_models_table
from webapp.llm.choice import NoSuchTarget, render_choices, run_choices, target_material
from webapp.llm.registry import get_registry
from webapp.llm.services import COMPRESSION_CHOICES, DEFAULT_COMPRESSION, list_models
from webapp.runs.errors import RunNotReady


class Command(BaseCommand):
    help = "List the analysis models this deployment offers, with prices and availability."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = actions.add_parser("list", help="list the models (* marks the default)")
        listing.add_argument("--provider", help="only this provider's models, e.g. openai, anthropic")
        listing.add_argument("--available", action="store_true", help="only models usable with the current environment")
        listing.add_argument("--live", action="store_true",
                             help="ask every endpoint for its model list now instead of using the cached one")
        listing.add_argument("--json", action="store_true", help="print the rows as JSON (the API's shape)")
        listing.add_argument("--for", dest="target", metavar="RUN|PATH",
                             help="the usable models with this run's estimate, fit and capabilities")
        listing.add_argument("--compression", choices=COMPRESSION_CHOICES, default=DEFAULT_COMPRESSION,
                             help="with --for: what to do if the run does not fit a model (default: auto)")

    def handle(self, *args, action, provider=None, available=False, live=False, json=False, target=None,
               compression=DEFAULT_COMPRESSION, **options):
        try:
            if target:
                if live:
                    get_registry().refresh_listings()
                choices = run_choices(target_material(target), compression)
                self.stdout.write(_json([c.to_dict() for c in choices]) if json else render_choices(choices))
                return
            rows = list_models(provider=provider, available=True if available else None, refresh=live)
        except (RegistryError, RunNotReady, NoSuchTarget) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(_json(rows) if json else render_models_table(rows))
        note = None if json else get_registry().default_note
        if note:
            self.stderr.write(f"Note: {note}.")


def _json(value) -> str:
    return json.dumps(value, indent=2)
