"""Settings for the test suite: the real settings, with per-session isolation so
that several test sessions (and a developer's `make run`) can share one machine's
Redis and data directory without stealing each other's tasks or files."""

import os
import tempfile

# Folders this session made for itself (its workers inherit them through the
# environment); tests/conftest.py removes them at the end.
SESSION_TEMP_DIRS = []


def _session_dir(variable: str, prefix: str) -> None:
    if not os.environ.get(variable):
        os.environ[variable] = tempfile.mkdtemp(prefix=prefix)
        SESSION_TEMP_DIRS.append(os.environ[variable])


# No CELERY_BROKER_URL: the embedded broker, as `make run` uses, in this session's own
# folder (tests/conftest.py starts it). `.ci/run` also runs the suite on Redis.
_session_dir("DEBRIEF_BROKER_DIR", "debrief-test-broker-")
_session_dir("DEBRIEF_STORAGE_DIR", "debrief-test-storage-")
os.environ.setdefault("DEBRIEF_BROKER_KEYPREFIX", f"debrief-test-{os.getpid()}-")

from webapp.settings import *  # noqa: E402,F403
from webapp.settings import DATA_DIR, DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_debrief_{os.getpid()}"}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
