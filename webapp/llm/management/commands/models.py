"""`debrief models list [--provider P] [--available] [--json]`: the model registry."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from analysis.registry import RegistryError
from analysis.registry.cli import render_models_table
from webapp.llm.services import list_models


class Command(BaseCommand):
    help = "List the analysis models this deployment offers, with prices and availability."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = actions.add_parser("list", help="list the models (* marks the default)")
        listing.add_argument("--provider", help="only this provider's models, e.g. openai, anthropic")
        listing.add_argument("--available", action="store_true", help="only models usable with the current environment")
        listing.add_argument("--json", action="store_true", help="print the rows as JSON (the API's shape)")

    def handle(self, *args, action, provider=None, available=False, json=False, **options):
        try:
            rows = list_models(provider=provider, available=True if available else None)
        except RegistryError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(_json(rows) if json else render_models_table(rows))


def _json(value) -> str:
    return json.dumps(value, indent=2)
