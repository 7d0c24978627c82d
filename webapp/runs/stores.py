"""The two storage backends DEBRIEF_STORAGE_URL chooses between (settings.py puts
one in STORAGES["default"]). Both are Django storages; each adds what runs need
and the plain ones lack: reading a file as a stream (only as much as is read is
fetched) and deleting a whole folder. `webapp.runs.storage` is their one user."""

from __future__ import annotations

import os
import shutil
import stat

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class FileStore(FileSystemStorage):
    """A local folder: DEBRIEF_STORAGE_DIR, read when used (tests move it).
    Never follows a symbolic link: a stored run holds none, so one found there
    was put by someone else and may point anywhere on the server."""

    def __init__(self, **options):
        options.setdefault("allow_overwrite", True)  # ingest taken over by a second worker writes the same names
        super().__init__(**options)

    @property
    def base_location(self):
        return self._location or str(settings.DEBRIEF_STORAGE_DIR)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def _open(self, name, mode="rb"):
        if "r" not in mode or "+" in mode:
            return super()._open(name, mode)
        full = self.path(name)  # SuspiciousFileOperation for a name outside the folder
        current = self.location
        for part in os.path.relpath(full, self.location).split(os.sep):
            current = os.path.join(current, part)
            if stat.S_ISLNK(os.lstat(current).st_mode):  # FileNotFoundError when missing
                raise FileNotFoundError(f"{name} passes through a symbolic link")
        descriptor = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        handle = os.fdopen(descriptor, mode)
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            handle.close()
            raise FileNotFoundError(f"{name} is not a regular file")
        file = File(handle, name)
        file.size = os.fstat(descriptor).st_size
        return file

    def delete_folder(self, name: str) -> None:
        path = self.path(name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)


class S3Store(S3Storage):
    """An S3-compatible bucket (AWS, MinIO, R2, GCS interop). Writes are
    django-storages' managed transfers (multipart past 8 MB)."""

    def _open(self, name, mode="rb"):
        if mode != "rb":
            return super()._open(name, mode)
        key = self._normalize_name(clean_name(name))
        try:
            response = self.bucket.Object(key).get()
        except ClientError as err:
            if err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                raise FileNotFoundError(f"File does not exist: {name}") from None
            raise
        # The HTTP body itself, read as far as the caller reads: a viewer capped at
        # 256 KiB fetches about that much of a 500 MB log, not the whole object.
        file = File(response["Body"], name)
        file.size = response["ContentLength"]
        return file

    def delete_folder(self, name: str) -> None:
        prefix = self._normalize_name(clean_name(name)).rstrip("/") + "/"
        # One DeleteObjects request per page of 1,000 keys.
        self.bucket.objects.filter(Prefix=prefix).delete()
