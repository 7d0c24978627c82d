"""UnsupportedCompaction now belongs to the llm app (see llm.0001); the table
stays, so this only forgets the model here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0001_initial"),
        ("llm", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="UnsupportedCompaction")],
            database_operations=[],
        ),
    ]
