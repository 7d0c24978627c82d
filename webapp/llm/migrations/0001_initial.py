"""UnsupportedCompaction moves here from the conversations app with the
compression settings. Its table stays where conversations.0001 created it: only
Django's idea of which app owns it changes, so nothing is copied."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("conversations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="UnsupportedCompaction",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("model_name", models.CharField(max_length=255, unique=True)),
                        ("reason", models.TextField()),
                        ("noted_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={"db_table": "conversations_unsupportedcompaction"},
                ),
            ],
            database_operations=[],
        ),
    ]
