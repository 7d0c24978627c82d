"""What analysing an archive would cost, before it is uploaded as a run: the CI
client asks this first, so a run over its --max-cost is never stored.

The archive goes the way an upload goes (the same upload limits, the reader's
archive checks and extraction, the same secret scrubbing as ingest) and is
estimated by the one estimate service, `estimate_material`; but into a temporary
folder that is always removed, and no row is written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from analysis.massgen import read_session
from webapp.llm.compression_preview import DEFAULT_COMPRESSION, Compression
from webapp.llm.services import estimate_material, session_material
from webapp.runs import storage
from webapp.runs.reading import scrub_session
from webapp.runs.services.staging import archive_suffix, staged_name
from webapp.runs.uploads import StagedUpload

EXTRACTED_FOLDER = "run"  # inside the temporary folder, next to the archive


def do_estimate_upload(
    upload: StagedUpload, model_name: str, compression: Compression = DEFAULT_COMPRESSION
) -> dict[str, Any]:
    """`estimate_to_dict`'s shape for the run in `upload` (a .zip/.tar.gz/.tgz).
    Raises UploadRejected (not an archive), RunFormatError (ArchiveRejected for a hostile archive),
    UnknownModel or ModelUnavailable. The upload is deleted whatever happens."""
    try:
        name = os.path.basename(upload.relative_path)
        suffix = archive_suffix(name, upload.head)
        with tempfile.TemporaryDirectory(dir=storage.incoming_dir(), prefix="estimate-") as work:
            archive = Path(work) / staged_name(name, suffix)
            os.replace(upload.temporary_file_path(), archive)
            extracted = Path(work) / EXTRACTED_FOLDER
            extracted.mkdir()
            session = read_session(archive, extract_to=extracted)
            scrub_session(session)  # estimate what would be stored and sent
            material = session_material(session)
            return estimate_material(material, model_name, compression)
    finally:
        upload.close()
