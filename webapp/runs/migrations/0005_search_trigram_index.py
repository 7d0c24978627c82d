"""Trigram indexes for the runs list's search (`q`: icontains on the question and
the file name), on PostgreSQL only. Django writes icontains as
`UPPER(col::text) LIKE UPPER('%q%')`, which no B-tree serves: at 100k runs every
search read the whole team. A GIN index over `UPPER(col) gin_trgm_ops` answers
LIKE '%…%' for three characters and more. `fastupdate = off`: with GIN's pending
list, runs added since the last vacuum were scanned one by one on every search (8 ms
for 10k new runs); runs arrive one at a time, so updating the index at once is cheap. SQLite (the embedded default) scans,
as before: nothing to do there, and the model state is unchanged on both."""

from django.db import migrations

INDEXES = (
    ("run_question_trgm", "question"),
    ("run_original_name_trgm", "original_name"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm ships with PostgreSQL and is a trusted extension (PG 13+): the
    # database's owner may create it without being a superuser.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON runs_run USING gin ((UPPER("{column}"::text)) gin_trgm_ops) WITH (fastupdate = off)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0004_massgen_session_links_and_reader_revision"),
    ]

    operations = [migrations.RunPython(create, drop)]
