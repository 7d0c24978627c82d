"""DEBUG is off unless asked for (`make run` included: its debug pages would list
every URL and setting), and what `make run` serves still works without it:
static files come from WhiteNoise, not from runserver's DEBUG-only handler."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def debug_setting(**env) -> str:
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DEBRIEF_ENV")}
    script = "import webapp.settings as s; print(s.DEBUG)"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=base | env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_debug_is_off_in_development_unless_asked_for():
    assert debug_setting() == "False"
    assert debug_setting(DEBRIEF_ENV="development") == "False"
    assert debug_setting(DEBUG="true") == "True"


def test_static_files_are_served_with_debug_off(client, settings):
    assert settings.DEBUG is False
    for path, text in (("/static/css/app.css", b".error-page"), ("/static/js/upload.js", b"data-upload"),
                       ("/static/conversations/conversations.css", b"{")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert text in b"".join(response.streaming_content), path
