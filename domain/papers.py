"""Papers (tham luận) and meeting materials: which files are accepted, and when a paper is late.

The type of a file is decided by its name *and* its content, never by the MIME type a client
claims: a renamed executable must not pass for a .docx.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import PurePath

DEFAULT_DUE_BEFORE_MEETING = timedelta(days=3)
DUE_THE_DAY_BEFORE = timedelta(days=1)
# The due dates a secretary can pick with one press, the default first.
DUE_CHOICES_BEFORE_MEETING = (DEFAULT_DUE_BEFORE_MEETING, DUE_THE_DAY_BEFORE)
PAPER_REMINDER_OFFSETS_MINUTES = (3 * 24 * 60, 24 * 60)
MAX_FILE_NAME = 120


class FileProblem(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    WRONG_TYPE = "wrong_type"
    CONTENT_MISMATCH = "content_mismatch"
    UNSAFE_ARCHIVE = "unsafe_archive"
    MACROS = "macros"
    ENCRYPTED = "encrypted"


# Extension -> the content family it must have.
ACCEPTED_EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".odt": "odt",
    ".odp": "odp",
    ".doc": "ole",
    ".ppt": "ole",
}
MIME_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".doc": "application/msword",
    ".ppt": "application/vnd.ms-powerpoint",
}
_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
_OPENDOCUMENT = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
_ZIP = b"PK\x03\x04"
_ZIP_DIRECTORY_ENTRY = b"PK\x01\x02"

# ODT, ODP, DOCX and PPTX are ZIP archives, and a small archive can unpack to gigabytes (a
# decompression bomb). Real documents within the upload limit hold at most a few hundred
# entries and unpack to tens of MB; their XML compresses about 10:1, images not at all,
# while a bomb's entries reach deflate's 1000:1. Nothing is unpacked but the first
# MAX_MIMETYPE_BYTES of an OpenDocument's mimetype; the rest is judged from the directory.
MAX_ARCHIVE_ENTRIES = 5_000
MAX_ARCHIVE_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_ENTRY_RATIO = 100
ENTRY_RATIO_CHECKED_FROM_BYTES = 1024 * 1024
MAX_MIMETYPE_BYTES = 256
# What office suites write. zipfile unpacks bzip2 and LZMA without a bound on the output of
# each chunk read, and bzip2 turns a few hundred bytes into a gigabyte.
_ARCHIVE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}


def extension(file_name: str) -> str:
    return PurePath(file_name.strip().lower()).suffix


# Office files that carry macros: code, never taken whatever the file is for.
MACRO_EXTENSIONS = frozenset({".xlsm", ".xltm", ".xlsb", ".docm", ".dotm", ".pptm", ".potm"})
# A password-protected Office file is an OLE2 container whatever its name says.
_ENCRYPTED_FAMILY = "ole"
_MACRO_FAMILY = "xlsm"
# A member list: a workbook, or plain text whose content has no family of its own.
SPREADSHEET_EXTENSIONS: Mapping[str, str | None] = {".xlsx": "xlsx", ".csv": None}


def problem_before_download(
    file_name: str,
    size: int | None,
    max_bytes: int,
    accepted: Mapping[str, str | None] = ACCEPTED_EXTENSIONS,
) -> FileProblem | None:
    """What can be refused from the name and announced size alone, before fetching a byte."""
    if extension(file_name) in MACRO_EXTENSIONS:
        return FileProblem.MACROS
    if extension(file_name) not in accepted:
        return FileProblem.WRONG_TYPE
    if size is not None and size == 0:
        return FileProblem.EMPTY
    if size is not None and size > max_bytes:
        return FileProblem.TOO_LARGE
    return None


class UnsafeArchive(Exception):
    """A ZIP archive that is damaged, or would unpack to far more than a document does."""


def problem_with_content(
    file_name: str,
    content: bytes,
    max_bytes: int,
    accepted: Mapping[str, str | None] = ACCEPTED_EXTENSIONS,
) -> FileProblem | None:
    """What is wrong with a downloaded file, unpacking at most MAX_MIMETYPE_BYTES of it."""
    announced = problem_before_download(file_name, len(content), max_bytes, accepted)
    if announced is not None:
        return announced
    try:
        family = _family(content)
    except UnsafeArchive:
        return FileProblem.UNSAFE_ARCHIVE
    expected = accepted[extension(file_name)]
    if family != expected:
        if family == _MACRO_FAMILY:
            return FileProblem.MACROS
        if family == _ENCRYPTED_FAMILY and expected is not None:
            return FileProblem.ENCRYPTED
        return FileProblem.CONTENT_MISMATCH
    return None


def content_family(content: bytes) -> str | None:
    """pdf, docx, pptx, xlsx, xlsm (with macros), odt, odp, ole (legacy .doc/.ppt/.xls, and
    any password-protected Office file), or None for anything else,
    including an archive unsafe to open."""
    try:
        return _family(content)
    except UnsafeArchive:
        return None


def _family(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(_OLE2):
        return "ole"
    if content.startswith(_ZIP):
        return _zip_family(content)
    return None


def _zip_family(content: bytes) -> str | None:
    # Each directory entry starts with this signature: an upper bound on the entries, counted
    # before zipfile builds an object for every one of them.
    if content.count(_ZIP_DIRECTORY_ENTRY) > MAX_ARCHIVE_ENTRIES:
        raise UnsafeArchive
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            _check_declared_sizes(entries)
            names = {entry.filename for entry in entries}
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    mimetype = entry.read(MAX_MIMETYPE_BYTES + 1)
                if len(mimetype) > MAX_MIMETYPE_BYTES:
                    raise UnsafeArchive
                return _OPENDOCUMENT.get(mimetype.strip())
    except (zipfile.BadZipFile, KeyError, RuntimeError, ValueError, EOFError, zlib.error) as e:
        raise UnsafeArchive from e
    if "[Content_Types].xml" in names:
        if any(name.startswith("word/") for name in names):
            return "docx"
        if any(name.startswith("ppt/") for name in names):
            return "pptx"
        if "xl/vbaProject.bin" in names:
            return "xlsm"
        if any(name.startswith("xl/") for name in names):
            return "xlsx"
    return None


def _check_declared_sizes(entries: list[zipfile.ZipInfo]) -> None:
    for entry in entries:
        if entry.compress_type not in _ARCHIVE_METHODS:
            raise UnsafeArchive
        # Neither method makes data much bigger: far more compressed bytes than the declared
        # size is a size forged to pass these checks, with the rest of the stream behind it.
        if entry.compress_size > 2 * entry.file_size + 1024:
            raise UnsafeArchive
        if (
            entry.file_size > ENTRY_RATIO_CHECKED_FROM_BYTES
            and entry.file_size > MAX_ENTRY_RATIO * entry.compress_size
        ):
            raise UnsafeArchive
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries)
    if unpacked > MAX_ARCHIVE_UNPACKED_BYTES:
        raise UnsafeArchive
    # The same ratio for the whole archive: a bomb cut into many entries under the
    # per-entry size is still one bomb to whoever opens the document.
    if unpacked > ENTRY_RATIO_CHECKED_FROM_BYTES and unpacked > MAX_ENTRY_RATIO * packed:
        raise UnsafeArchive


def safe_file_name(file_name: str) -> str:
    """A name safe to show and to put in a ZIP: no folders, no control characters."""
    base = PurePath(file_name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned[-MAX_FILE_NAME:] or "document"


def due_choices(meeting_starts_at: datetime, now: datetime) -> list[tuple[timedelta, datetime]]:
    """The due dates offered with one press, each with how long before the meeting it is:
    those still to come."""
    return [
        (before, meeting_starts_at - before)
        for before in DUE_CHOICES_BEFORE_MEETING
        if meeting_starts_at - before > now
    ]


def is_late(submitted_at: datetime, due_at: datetime) -> bool:
    return submitted_at > due_at


def is_overdue(due_at: datetime, now: datetime) -> bool:
    """A paper is missing only once it is overdue: one not yet due is not reported."""
    return now > due_at
