"""Uploaded archives are hostile until proven otherwise: each trick is refused
by the limit it hits, and nothing is written, inside the destination or out."""

from __future__ import annotations

import io
import math
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from analysis.massgen import ArchiveRejected, RunFormatError, extract_archive, read_session
from analysis.massgen import archive as limits

SESSION = "log_20261124_044610_038495"
STATUS = f"{SESSION}/turn_1/attempt_1/status.json"


def _zip(path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for info, data in members:
            bundle.writestr(info, data)
    return path


def _tar(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as bundle:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                bundle.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                bundle.addfile(info, io.BytesIO(data))
    return path


def _special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def _zip_symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


@pytest.fixture
def place(tmp_path):
    """An upload folder and an empty extraction destination beside it; the
    test fails if anything but the archive appears anywhere under tmp_path."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    dest = tmp_path / "dest"
    yield uploads, dest
    written = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if not path.is_relative_to(uploads))
    assert written in ([], ["dest"]), f"written outside the uploads: {written}"
    assert not dest.exists() or not any(dest.iterdir())


def _rejected(archive: Path, dest: Path) -> ArchiveRejected:
    with pytest.raises(ArchiveRejected) as caught:
        extract_archive(archive, dest)
    assert caught.value.file == archive.name
    assert caught.value.limit in str(caught.value)
    return caught.value


def test_it_rejects_zip_slip(place):
    uploads, dest = place
    archive = _zip(uploads / "run.zip", [(STATUS, b"{}"), ("../evil.txt", b"owned")])
    assert _rejected(archive, dest).limit == "SAFE_MEMBER_PATH"


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile warns as it writes the trick
@pytest.mark.parametrize("pack", [_zip, _tar])
def test_a_member_named_twice_is_refused_and_nothing_is_left(place, pack):
    uploads, dest = place
    archive = pack(uploads / ("run.zip" if pack is _zip else "run.tar.gz"), [(STATUS, b"{}"), (STATUS, b"{}")])
    with pytest.raises(RunFormatError, match="twice"):
        extract_archive(archive, dest)


def _directory(pack, name: str):
    if pack is _zip:
        return zipfile.ZipInfo(name + "/"), b""
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info


@pytest.mark.parametrize("pack", [_zip, _tar])
@pytest.mark.parametrize("order", ["file, then folder", "folder, then file", "file, then a file under it", "file, then a file deeper"])
def test_a_name_that_is_both_a_file_and_a_folder_is_refused_and_nothing_is_left(place, pack, order):
    uploads, dest = place
    name = f"{SESSION}/turn_1/attempt_1/agent_a"
    members = {
        "file, then folder": [(name, b"x"), _directory(pack, name)],
        "folder, then file": [_directory(pack, name), (name, b"x")],
        "file, then a file under it": [(name, b"x"), (f"{name}/answer.txt", b"x")],
        "file, then a file deeper": [(name, b"x"), (f"{name}/20261124_044614_055392/answer.txt", b"x")],
    }[order]
    archive = pack(uploads / ("run.zip" if pack is _zip else "run.tar.gz"), [(STATUS, b"{}"), *members])
    with pytest.raises(RunFormatError, match="both a file and a folder"):
        extract_archive(archive, dest)


def test_it_rejects_tar_slip(place):
    uploads, dest = place
    archive = _tar(uploads / "run.tar.gz", [(STATUS, b"{}"), (f"{SESSION}/../../evil.txt", b"owned")])
    assert _rejected(archive, dest).limit == "SAFE_MEMBER_PATH"


@pytest.mark.parametrize(
    "name", ["/etc/evil.txt", "C:/evil.txt", "C:evil.txt", "a\\..\\..\\evil.txt", "a/./b.txt", "a/../../evil.txt"]
)
def test_it_rejects_absolute_drive_and_odd_member_paths(place, name):
    uploads, dest = place
    archive = _zip(uploads / "run.zip", [(STATUS, b"{}"), (zipfile.ZipInfo(name), b"owned")])
    assert _rejected(archive, dest).limit == "SAFE_MEMBER_PATH"


def test_it_rejects_an_absolute_tar_member(place):
    uploads, dest = place
    archive = _tar(uploads / "run.tgz", [(STATUS, b"{}"), ("/tmp/evil.txt", b"owned")])
    assert _rejected(archive, dest).limit == "SAFE_MEMBER_PATH"


def test_it_rejects_a_symlink_in_a_zip(place):
    uploads, dest = place
    archive = _zip(uploads / "run.zip", [(STATUS, b"{}"), _zip_symlink(f"{SESSION}/turn_1/link", "/etc/passwd")])
    assert _rejected(archive, dest).limit == "ALLOWED_MEMBER_TYPES"


@pytest.mark.parametrize(
    "member",
    [
        _special(f"{SESSION}/link", tarfile.SYMTYPE, "/etc/passwd"),
        _special(f"{SESSION}/hard", tarfile.LNKTYPE, "/etc/passwd"),
        _special(f"{SESSION}/tty", tarfile.CHRTYPE),
        _special(f"{SESSION}/disk", tarfile.BLKTYPE),
        _special(f"{SESSION}/pipe", tarfile.FIFOTYPE),
    ],
    ids=["symlink", "hardlink", "char-device", "block-device", "fifo"],
)
def test_it_rejects_links_devices_and_fifos_in_a_tar(place, member):
    uploads, dest = place
    archive = _tar(uploads / "run.tar.gz", [(STATUS, b"{}"), member])
    assert _rejected(archive, dest).limit == "ALLOWED_MEMBER_TYPES"


def test_it_rejects_a_1000_to_1_zip_bomb(place):
    uploads, dest = place
    archive = _zip(uploads / "run.zip", [(STATUS, b"{}"), (f"{SESSION}/bomb.txt", bytes(20 * 1024 * 1024))])
    assert 900 < 20 * 1024 * 1024 / archive.stat().st_size
    error = _rejected(archive, dest)
    assert error.limit == "MAX_COMPRESSION_RATIO" and "bomb.txt" in str(error)


def test_it_rejects_a_1000_to_1_tar_gz_bomb(place):
    uploads, dest = place
    archive = _tar(uploads / "run.tar.gz", [(STATUS, b"{}"), (f"{SESSION}/bomb.txt", bytes(20 * 1024 * 1024))])
    assert _rejected(archive, dest).limit == "MAX_COMPRESSION_RATIO"


def test_it_rejects_100k_tiny_members(place):
    uploads, dest = place
    archive = uploads / "run.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
        bundle.writestr(STATUS, b"{}")
        for index in range(100_000):
            bundle.writestr(f"{SESSION}/many/{index}", b"")
    assert _rejected(archive, dest).limit == "MAX_ARCHIVE_MEMBERS"


def _empty(dest: Path) -> None:
    """Undo a successful extraction, so the fixture's nothing-written check holds."""
    for child in dest.iterdir():
        shutil.rmtree(child)


def _with_fillers(count: int) -> list[tuple[str, bytes]]:
    return [(STATUS, b"{}"), *((f"{SESSION}/filler/{index}.txt", b"x") for index in range(count - 1))]


@pytest.mark.parametrize("pack", [_zip, _tar], ids=["zip", "tar.gz"])
def test_it_accepts_exactly_max_archive_members_and_rejects_one_more(place, monkeypatch, pack):
    uploads, dest = place
    monkeypatch.setattr(limits, "MAX_ARCHIVE_MEMBERS", 20)
    # tar.gz also stores each parent folder as a member only if added; _tar adds none.
    over = pack(uploads / f"over.{'zip' if pack is _zip else 'tar.gz'}", _with_fillers(21))
    assert _rejected(over, dest).limit == "MAX_ARCHIVE_MEMBERS"
    exact = pack(uploads / f"exact.{'zip' if pack is _zip else 'tar.gz'}", _with_fillers(20))
    assert extract_archive(exact, dest) == dest / SESSION
    assert len(list((dest / SESSION / "filler").iterdir())) == 19
    _empty(dest)


@pytest.mark.parametrize("pack", [_zip, _tar], ids=["zip", "tar.gz"])
def test_it_accepts_exactly_max_uncompressed_bytes_and_rejects_one_more(place, monkeypatch, pack):
    uploads, dest = place
    members = [(STATUS, b"{}"), (f"{SESSION}/data.bin", b"0123456789" * 100)]
    archive = pack(uploads / f"run.{'zip' if pack is _zip else 'tar.gz'}", members)
    total = sum(len(data) for _, data in members)
    monkeypatch.setattr(limits, "MAX_UNCOMPRESSED_BYTES", total - 1)
    assert _rejected(archive, dest).limit == "MAX_UNCOMPRESSED_BYTES"
    monkeypatch.setattr(limits, "MAX_UNCOMPRESSED_BYTES", total)
    assert extract_archive(archive, dest) == dest / SESSION
    _empty(dest)


def test_it_accepts_exactly_max_compression_ratio_and_rejects_anything_above(place, monkeypatch):
    uploads, dest = place
    archive = _zip(uploads / "run.zip", [(STATUS, b"{}"), (f"{SESSION}/zeros.bin", bytes(64 * 1024))])
    with zipfile.ZipFile(archive) as bundle:
        info = bundle.getinfo(f"{SESSION}/zeros.bin")
    ratio = info.file_size / info.compress_size
    monkeypatch.setattr(limits, "RATIO_CHECK_MIN_BYTES", 1024)
    monkeypatch.setattr(limits, "MAX_COMPRESSION_RATIO", math.nextafter(ratio, 0))
    assert _rejected(archive, dest).limit == "MAX_COMPRESSION_RATIO"
    monkeypatch.setattr(limits, "MAX_COMPRESSION_RATIO", ratio)
    # The per-member ratio passes; the whole archive (with its headers) is less compressed still.
    assert extract_archive(archive, dest) == dest / SESSION
    _empty(dest)


def test_it_accepts_a_member_path_of_exactly_max_chars_and_rejects_one_more(place):
    uploads, dest = place
    prefix = f"{SESSION}/"
    segments = "/".join(["d" * 200] * 4)
    exact = prefix + segments + "/" + "f" * (limits.MAX_MEMBER_PATH_CHARS - len(prefix) - len(segments) - 1)
    assert len(exact) == limits.MAX_MEMBER_PATH_CHARS
    _zip(uploads / "exact.zip", [(STATUS, b"{}"), (exact, b"x")])
    assert extract_archive(uploads / "exact.zip", dest) == dest / SESSION
    _empty(dest)
    over = _zip(uploads / "over.zip", [(STATUS, b"{}"), (exact + "f", b"x")])
    assert _rejected(over, dest).limit == "MAX_MEMBER_PATH_CHARS"


def test_read_session_refuses_a_hostile_archive_and_leaves_no_temporary_folder(tmp_path):
    before = set(Path(tempfile.gettempdir()).glob("debrief-run-*"))
    archive = _zip(tmp_path / "run.zip", [(STATUS, b"{}"), ("../evil.txt", b"owned")])
    with pytest.raises(ArchiveRejected, match="SAFE_MEMBER_PATH"):
        read_session(archive)
    assert set(Path(tempfile.gettempdir()).glob("debrief-run-*")) == before


@pytest.mark.parametrize("name", ["broken.zip", "broken.tar.gz", "broken.tgz"])
def test_a_corrupt_archive_is_a_format_error_not_a_crash(tmp_path, name):
    archive = tmp_path / name
    archive.write_bytes(b"PK\x03\x04 this is not really an archive \x00\xff" * 10)
    with pytest.raises(RunFormatError) as caught:
        extract_archive(archive, tmp_path / "dest")
    assert not isinstance(caught.value, ArchiveRejected)
    assert name in str(caught.value)
    assert not (tmp_path / "dest").exists()


def test_a_truncated_tar_gz_is_a_format_error(tmp_path):
    archive = _tar(tmp_path / "run.tar.gz", [(STATUS, b"{}"), (f"{SESSION}/data.bin", bytes(range(256)) * 400)])
    archive.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(RunFormatError, match="run.tar.gz"):
        extract_archive(archive, tmp_path / "dest")


def test_an_archive_with_two_unrelated_runs_is_refused_by_name(tmp_path):
    # Two runs are one session only when the second continues the first
    # (its turns start after the first's); two turn-1 runs are not.
    other = STATUS.replace(SESSION, "log_20261124_050000_000000")
    archive = _zip(tmp_path / "two.zip", [(STATUS, b"{}"), (other, b"{}")])
    with pytest.raises(RunFormatError, match="holds 2 MassGen runs"):
        read_session(archive, extract_to=tmp_path / "dest")


def test_an_archive_without_a_run_is_refused(tmp_path):
    archive = _zip(tmp_path / "photos.zip", [("holiday/beach.jpg", b"\xff\xd8")])
    with pytest.raises(RunFormatError, match="holds no MassGen run"):
        read_session(archive)


def test_the_writer_resolves_member_paths_as_resolve_does_and_refuses_a_planted_symlink(tmp_path):
    # The writer resolves one folder part at a time; this holds it to Path.resolve,
    # and to refusing a symlink something else left in the destination.
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    (dest / "planted").symlink_to(outside)
    writer = limits._Writer(tmp_path / "run.zip", dest)
    for name in ("a.txt", "log_1/turn_1/attempt_1/status.json", "log_1/turn_1/", "log_1/x/y/z.json", "log_1/x/w.json"):
        assert writer._target(name) == (dest / name).resolve()
    with pytest.raises(ArchiveRejected, match="outside"):
        writer._target("planted/evil.txt")
    with pytest.raises(ArchiveRejected, match="outside"):
        writer._target("planted")  # the link itself: resolves to the outside folder
