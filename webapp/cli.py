"""The `debrief` console script: Django's manage.py under the product's name."""

import os
import sys
from pathlib import Path

from analysis.massgen.cli import summary_output
from analysis.massgen.errors import RunFormatError


def _plain_summary(args: list[str]) -> int | None:
    """`debrief runs summary PATH [--json]` without Django: it needs no settings
    and no database, and setting Django up costs a third of a second, the time
    it takes to read ~400 MB of a run. Output and errors are those of the
    management command (webapp/runs/management/commands/runs.py), which handles
    every other spelling (--help, Django's own options). None: not this command."""
    if args[:2] != ["runs", "summary"]:
        return None
    rest = args[2:]
    as_json = "--json" in rest
    paths = [arg for arg in rest if arg != "--json"]
    if len(paths) != 1 or paths[0].startswith("-") or rest.count("--json") > 1:
        return None
    try:
        output = summary_output(Path(paths[0]), as_json)
    except RunFormatError as exc:
        sys.stderr.write(f"CommandError: {exc}\n")
        return 1
    sys.stdout.write(output)
    sys.stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    status = _plain_summary(argv[1:])
    if status is not None:
        sys.exit(status)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    from django.core.management import execute_from_command_line

    argv[0] = "debrief"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
