import os
import subprocess
import sys

from tests.foundation.test_settings_from_env import ROOT

SWITCHES = ("LITELLM_LOCAL_MODEL_COST_MAP", "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "LITELLM_MODE", "HF_HUB_OFFLINE")


def test_importing_the_core_sets_every_litellm_offline_switch_before_litellm_loads():
    env = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    code = "import analysis, os, sys; print('litellm' in sys.modules, *(os.environ[k] for k in %r))" % (SWITCHES,)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["False", "True", "True", "PRODUCTION", "1"], result.stderr
