"""Receiving uploads: every file of a multipart request streams to a file under
DEBRIEF_STORAGE_DIR (never into memory), its SHA-256 computed on the way, and
the request's total file bytes are capped at DEBRIEF_MAX_UPLOAD_BYTES while
they arrive. Django's own parser limits (DEBRIEF_MAX_UPLOAD_FILES, which is
DATA_UPLOAD_MAX_NUMBER_FILES, and the form-field limits) end the same way.

Installed for every request through FILE_UPLOAD_HANDLERS. Views read files
with `received_files`, which raises `UploadTooLarge` when a limit was hit (the
handler cannot answer the request itself: it may run inside the CSRF
middleware)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http.multipartparser import MultiPartParser
from django.template.defaultfilters import filesizeformat
from django.utils.datastructures import MultiValueDict

from webapp.runs import storage

HEAD_BYTES = 16  # enough for every archive signature we check
CHUNK_BYTES = 1024 * 1024


# Limits Django's multipart parser enforces itself, by raising (a generic 400 if
# nothing catches it): the setting holding each one and how the refusal names it.
PARSER_LIMITS = {
    TooManyFilesSent: ("DATA_UPLOAD_MAX_NUMBER_FILES", "The upload has more files than the limit of {limit}."),
    TooManyFieldsSent: ("DATA_UPLOAD_MAX_NUMBER_FIELDS", "The upload has more form fields than the limit of {limit}."),
    RequestDataTooBig: ("DATA_UPLOAD_MAX_MEMORY_SIZE", "The upload's form fields are larger than the limit of {limit} bytes ({readable})."),
}


def _readable(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")  # a no-break space, out of place in JSON


class UploadTooLarge(Exception):
    """The request went over an upload limit (bytes, files or form fields); the
    message names the limit. Views answer it with a 413."""

    def __init__(self, limit: int, message: str | None = None):
        self.limit = limit
        super().__init__(message or f"The upload is larger than the limit of {limit} bytes ({_readable(limit)}).")

    @classmethod
    def from_parser(cls, error: Exception) -> UploadTooLarge:
        setting, message = PARSER_LIMITS[type(error)]
        limit = getattr(settings, setting)
        return cls(limit, message.format(limit=limit, readable=_readable(limit)))


class StagedUpload(UploadedFile):
    """A received file, already on disk under storage. `relative_path` is the
    multipart filename exactly as sent (a folder upload's `log_…/turn_1/…`);
    it is untrusted and only ever used after `safe_relative_path`.

    Once complete its descriptor is closed (a folder upload has thousands of
    files); `close()` deletes the file unless it was moved away."""

    def __init__(self, relative_path: str, content_type: str | None, charset: str | None, content_type_extra):
        file = tempfile.NamedTemporaryFile(dir=storage.incoming_dir(), prefix="upload-", suffix=".part", delete=False)
        super().__init__(file, relative_path, content_type, 0, charset, content_type_extra)
        self.relative_path = relative_path
        self.path = Path(file.name)
        self.head = b""
        self._hash = hashlib.sha256()

    def append(self, chunk: bytes) -> None:
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self._hash.update(chunk)
        self.file.write(chunk)
        self.size += len(chunk)

    def finish(self) -> None:
        self.file.close()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def temporary_file_path(self) -> str:
        return str(self.path)

    def open(self, mode="rb"):
        self.file = open(self.path, mode)
        return self

    def close(self):
        self.file.close()
        self.path.unlink(missing_ok=True)


class _PathKeepingParser(MultiPartParser):
    # Django keeps only the last component of a filename; a folder upload
    # needs the whole relative path, which is validated later.
    def sanitize_file_name(self, file_name):
        name = "".join(char for char in file_name if char.isprintable())
        return name or None


class StagingUploadHandler(FileUploadHandler):
    chunk_size = CHUNK_BYTES

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.DEBRIEF_MAX_UPLOAD_BYTES
        self.received = 0
        self.current: StagedUpload | None = None
        self._parsing = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if self._parsing:
            return None
        self._parsing = True
        parser = _PathKeepingParser(META, input_data, [self], encoding)
        try:
            return parser.parse()
        except tuple(PARSER_LIMITS) as exc:
            # Refused like too many bytes (a 413 from `received_files`) rather than
            # Django's generic 400. parse() has closed (deleted) the files it finished;
            # the fields read so far are kept, as on StopUpload, because the CSRF
            # middleware looks for its token there (a form sends it before the files).
            self._discard_current()
            if self.request is None:
                raise
            self.request.upload_too_large = UploadTooLarge.from_parser(exc)
            fields = parser._post  # MultiPartParser's own, filled as it parsed
            fields._mutable = False  # as parse() leaves it when it completes
            return fields, MultiValueDict()
        except BaseException:
            self._discard_current()  # the parser closes (deletes) only the files it finished
            raise

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.current = StagedUpload(file_name, content_type, charset, content_type_extra)
        self.file = self.current.file  # the parser closes `handler.file` when it stops early

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.request is not None:
                self.request.upload_too_large = UploadTooLarge(self.limit)
            self._discard_current()
            raise StopUpload(connection_reset=True)
        self.current.append(raw_data)
        return None

    def file_complete(self, file_size):
        upload, self.current = self.current, None
        upload.finish()
        return upload

    def upload_interrupted(self):
        self._discard_current()

    def _discard_current(self):
        if self.current is not None:
            self.current.close()
            self.current = None


def upload_limits() -> dict[str, int]:
    """The limits the upload form shows and upload.js checks before sending."""
    return {"max_upload_bytes": settings.DEBRIEF_MAX_UPLOAD_BYTES, "max_upload_files": settings.DATA_UPLOAD_MAX_NUMBER_FILES}


def received_files(request, field: str) -> list[StagedUpload]:
    """The files sent in `field`, in the order sent. Raises UploadTooLarge when
    the request went over a limit (what did arrive is discarded)."""
    files = request.FILES.getlist(field)
    refusal = getattr(request, "upload_too_large", None)
    if refusal is not None:
        for _, uploads in request.FILES.lists():
            for upload in uploads:
                upload.close()
        raise refusal
    return files
