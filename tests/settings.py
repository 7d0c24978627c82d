"""Settings for the test suite: the real settings, with per-session isolation so
that several test sessions (and a developer's `make run`) can share one machine's
Redis and data directory without stealing each other's tasks or files."""

import os
import tempfile

os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DEBRIEF_BROKER_KEYPREFIX", f"debrief-test-{os.getpid()}-")
os.environ.setdefault("DEBRIEF_STORAGE_DIR", tempfile.mkdtemp(prefix="debrief-test-storage-"))

from webapp.settings import *  # noqa: E402,F403
from webapp.settings import DATA_DIR, DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_debrief_{os.getpid()}"}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
