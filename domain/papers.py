"""Papers (tham luận) and meeting materials: which files are accepted, and when a paper is late.

The type of a file is decided by its name *and* its content, never by the MIME type a client
claims: a renamed executable must not pass for a .docx.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import PurePath

DEFAULT_DUE_BEFORE_MEETING = timedelta(days=3)
PAPER_REMINDER_OFFSETS_MINUTES = (3 * 24 * 60, 24 * 60)
MAX_FILE_NAME = 120


class FileProblem(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    WRONG_TYPE = "wrong_type"
    CONTENT_MISMATCH = "content_mismatch"


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


def extension(file_name: str) -> str:
    return PurePath(file_name.strip().lower()).suffix


def problem_before_download(file_name: str, size: int | None, max_bytes: int) -> FileProblem | None:
    """What can be refused from the name and announced size alone, before fetching a byte."""
    if extension(file_name) not in ACCEPTED_EXTENSIONS:
        return FileProblem.WRONG_TYPE
    if size is not None and size == 0:
        return FileProblem.EMPTY
    if size is not None and size > max_bytes:
        return FileProblem.TOO_LARGE
    return None


def problem_with_content(file_name: str, content: bytes, max_bytes: int) -> FileProblem | None:
    announced = problem_before_download(file_name, len(content), max_bytes)
    if announced is not None:
        return announced
    if content_family(content) != ACCEPTED_EXTENSIONS[extension(file_name)]:
        return FileProblem.CONTENT_MISMATCH
    return None


def content_family(content: bytes) -> str | None:
    """pdf, docx, pptx, odt, odp, ole (legacy .doc/.ppt), or None for anything else."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(_OLE2):
        return "ole"
    if content.startswith(b"PK\x03\x04"):
        return _zip_family(content)
    return None


def _zip_family(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                return _OPENDOCUMENT.get(archive.read("mimetype").strip())
            if "[Content_Types].xml" in names:
                if any(name.startswith("word/") for name in names):
                    return "docx"
                if any(name.startswith("ppt/") for name in names):
                    return "pptx"
    except (zipfile.BadZipFile, KeyError, RuntimeError, ValueError):
        return None
    return None


def safe_file_name(file_name: str) -> str:
    """A name safe to show and to put in a ZIP: no folders, no control characters."""
    base = PurePath(file_name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned[-MAX_FILE_NAME:] or "document"


def default_due(meeting_starts_at: datetime) -> datetime:
    return meeting_starts_at - DEFAULT_DUE_BEFORE_MEETING


def is_late(submitted_at: datetime, due_at: datetime) -> bool:
    return submitted_at > due_at
