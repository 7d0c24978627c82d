import hashlib
from datetime import datetime, timezone
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone as django_timezone

from webapp.analyses.models import Analysis, Status
from webapp.runs.models import Run, RunSource, RunStatus
from webapp.teams.models import Membership, Role, Team

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 11, 24, 4, 47, 15, tzinfo=timezone.utc)  # when a RunFactory run started, unless told


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class RunFactory(factory.django.DjangoModelFactory):
    """A run row written straight to the database, as ingest leaves a ready one: its
    question, figures and models on the row, but no attempts or rows below it (for
    those, go through the real ingest: `tests.samples.ingest_sample`). Pass `status`
    for a queued, processing or failed run, and `created_at` to backdate it;
    `bare=True` leaves the summary out (no question, figures or models: the title
    is the file name), for tests of lists and counts."""

    class Meta:
        model = Run

    team = factory.SubFactory(TeamFactory)
    source = RunSource.UPLOAD
    original_name = factory.Sequence(lambda n: f"log_{n}.zip")
    sha256 = factory.Sequence(lambda n: hashlib.sha256(str(n).encode()).hexdigest())
    size_bytes = 4096
    status = RunStatus.READY
    question = factory.Sequence(lambda n: f"Question {n}")
    started_at = T0
    duration_seconds = 60.0
    agent_count = 2
    models = "gpt-5-mini,claude-sonnet-4-5"
    winner = "agent_a"
    input_tokens = 1000
    output_tokens = 100
    cost_usd = 0.01
    processed_at = factory.LazyAttribute(
        lambda run: django_timezone.now() if run.status in (RunStatus.READY, RunStatus.FAILED) else None
    )

    class Params:
        bare = factory.Trait(
            question="", started_at=None, duration_seconds=None, agent_count=0, models="", winner="",
            input_tokens=0, output_tokens=0, cost_usd=0.0,
        )

    @classmethod
    def _create(cls, model_class, *args, created_at=None, **kwargs):
        """`created_at` is auto_now_add: a given one is written after the insert."""
        run = super()._create(model_class, *args, **kwargs)
        if created_at is not None:
            model_class.objects.filter(pk=run.pk).update(created_at=created_at)
            run.created_at = created_at
        return run


class AnalysisFactory(factory.django.DjangoModelFactory):
    """A finished analysis of a run, for its team: what it cost and what was
    estimated (the budget counts both)."""

    class Meta:
        model = Analysis

    run = factory.SubFactory(RunFactory)
    team = factory.SelfAttribute("run.team")
    model = "x"
    compression = "auto"
    status = Status.DONE
    cost_usd = Decimal("0")
    estimate_usd = Decimal("0")
