"""Places on a lower app's page where a higher app adds its part.

The run page shows the Analyse panel (llm) and the run's analyses (analyses), the
runs list a verdict column, the team page the analyses' settings; but runs and
teams sit below those apps and may not name them (docs/architecture.md). So the
higher app registers, in its `AppConfig.ready`, a template for a named slot or a
dotted path that looks up extra facts for a page of rows, and the lower page
asks the slot. With no app registered, a slot is empty and the page still works.

Slots in use: `run.panel` and `run.after` (templates/runs/run.html),
`team.after` (templates/teams/team.html), `report.after` (the follow-up questions
under a report, templates/analyses/report.html), and the row facts
`run_list.verdicts` (templates/runs/list.html), called with the page's runs."""

from __future__ import annotations

from collections import defaultdict

from django.utils.module_loading import import_string

_templates: dict[str, list[str]] = defaultdict(list)
_row_facts: dict[str, str] = {}


def add_template(slot: str, template_name: str) -> None:
    if template_name not in _templates[slot]:
        _templates[slot].append(template_name)


def templates(slot: str) -> list[str]:
    """The templates registered for `slot`, in registration (INSTALLED_APPS) order."""
    return list(_templates[slot])


def add_row_facts(slot: str, dotted_path: str) -> None:
    """`dotted_path` names a function of a sequence of rows returning {row pk: facts}."""
    _row_facts[slot] = dotted_path


def row_facts(slot: str, rows) -> dict:
    """{row pk: facts} from the function registered for `slot`, or {} when none is."""
    path = _row_facts.get(slot)
    return import_string(path)(rows) if path else {}
