"""Settings for the analysis tests' own worker: the test settings, with a broker
that hands an unacknowledged task to another worker seconds (not an hour) after
its worker died, so a crash test can watch the redelivery."""

from tests.settings import *  # noqa: F403
from tests.settings import CELERY_BROKER_TRANSPORT_OPTIONS

REDELIVERY_SECONDS = 2
CELERY_BROKER_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS | {
    "visibility_timeout": REDELIVERY_SECONDS,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
