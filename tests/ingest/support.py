"""Sample runs, archives (honest and hostile) and multipart bodies for the
ingest and API tests."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import uuid
import zipfile
from pathlib import Path

from django.test import RequestFactory

from webapp.runs.ingest import ingest_run
from webapp.runs.services import do_create_run_from_upload
from webapp.runs.uploads import received_files

def expected_summary(folder: Path) -> dict:
    return json.loads(folder.with_name(folder.name + ".expected-summary.json").read_text())


def files_of(folder: Path) -> list[tuple[str, Path]]:
    return sorted(
        (f"{folder.name}/{path.relative_to(folder).as_posix()}", path) for path in folder.rglob("*") if path.is_file()
    )


def zip_bytes(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, path in files_of(folder):
            bundle.write(path, name)
    return buffer.getvalue()


def tar_gz_bytes(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        bundle.add(folder, arcname=folder.name)
    return buffer.getvalue()


def zip_with(members: dict[str, bytes], base: Path | None = None) -> bytes:
    """A zip of a real sample (when `base` is given) plus extra members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, path in files_of(base) if base else []:
            bundle.write(path, name)
        for name, data in members.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def zip_with_symlink(base: Path, name: str, target: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for member, path in files_of(base):
            bundle.write(path, member)
        info = zipfile.ZipInfo(name)
        info.external_attr = (0o120777 << 16)  # a symbolic link
        bundle.writestr(info, target)
    return buffer.getvalue()


def tar_gz_with_symlink(base: Path, name: str, target: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        bundle.add(base, arcname=base.name)
        info = tarfile.TarInfo(name)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        bundle.addfile(info)
    return buffer.getvalue()


def zip_bomb(megabytes: int = 20) -> bytes:
    return zip_with({"log_x/turn_1/attempt_1/status.json": b"0" * (megabytes * 1024 * 1024)})


def multipart(files: list[tuple[str, str, bytes]], fields: dict[str, str] | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it, filenames untouched
    (Django's test client would cut them to their last component)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (fields or {}).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, filename, data in files:
        header = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(header.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def tree_digest(folder: Path) -> str:
    """A checksum of every path, mode, mtime and content under `folder`."""
    digest = hashlib.sha256()
    for current, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = Path(current) / name
            stat = path.lstat()
            digest.update(f"{path.relative_to(folder)}|{stat.st_mode}|{stat.st_mtime_ns}|{stat.st_size}".encode())
            if path.is_file() and not path.is_symlink():
                digest.update(path.read_bytes())
    return digest.hexdigest()


def every_file(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() or path.is_symlink())


def received(files: list[tuple[str, str, bytes]], field: str, fields: dict[str, str] | None = None):
    """What the upload handler makes of a multipart request: the StagedUploads
    of `field` (raises UploadTooLarge like a view would see it)."""
    body, content_type = multipart(files, fields)
    request = RequestFactory().generic("POST", "/runs/upload/", body, content_type=content_type)
    return received_files(request, field)


def upload(team, user, files: list[tuple[str, str, bytes]], field: str = "files"):
    """A browser upload through the real handler and service."""
    return do_create_run_from_upload(team, user, received(files, field))


def upload_archive(team, user, name: str, data: bytes):
    return upload(team, user, [("file", name, data)], field="file")


def upload_folder(team, user, folder: Path):
    return upload(team, user, [("files", name, path.read_bytes()) for name, path in files_of(folder)])


def ingest_now(run):
    ingest_run(run.pk)
    run.refresh_from_db()
    return run
