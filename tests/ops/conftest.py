from tests.analyses.conftest import fake_model, no_enqueue  # noqa: F401 - shared fixtures
from tests.api.conftest import tokens  # noqa: F401 - shared fixture
from tests.ingest.conftest import storage_dir  # noqa: F401 - shared fixture
