import pytest


@pytest.fixture
def storage_dir(settings, tmp_path):
    """A storage folder of its own, inside `tmp_path`, so that a test can
    check that nothing was written anywhere else under `tmp_path`."""
    settings.DEBRIEF_STORAGE_DIR = tmp_path / "storage"
    settings.DEBRIEF_STORAGE_DIR.mkdir()
    return settings.DEBRIEF_STORAGE_DIR
