"""What views, the API, tasks and commands call to create, import and delete runs."""

from webapp.runs.services.runs import USER, do_create_run_from_upload, do_delete_run, do_import_folder, do_import_path, enqueue_ingest
from webapp.runs.services.staging import UploadRejected

__all__ = ["USER", "UploadRejected", "do_create_run_from_upload", "do_delete_run", "do_import_folder", "do_import_path", "enqueue_ingest"]
