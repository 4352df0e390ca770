"""What every document sent to the bot goes through: checked by name and announced size
before a byte is fetched, then by content, and only then stored (content-addressed)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from domain.messages import N_, Text
from domain.papers import (
    ACCEPTED_EXTENSIONS,
    FileProblem,
    problem_before_download,
    problem_with_content,
)
from services.errors import Refused
from services.request import Files

FILE_PROBLEM_TEXT = {
    FileProblem.EMPTY: N_("file.empty"),
    FileProblem.TOO_LARGE: N_("file.too_large"),
    FileProblem.WRONG_TYPE: N_("file.wrong_type"),
    FileProblem.CONTENT_MISMATCH: N_("file.content_mismatch"),
    FileProblem.UNSAFE_ARCHIVE: N_("file.unsafe_archive"),
    FileProblem.MACROS: N_("file.macros"),
    FileProblem.ENCRYPTED: N_("file.encrypted"),
}


@dataclass(frozen=True)
class IncomingDocument:
    """A document a user sent, as Telegram describes it (nothing here is trusted)."""

    file_id: str
    file_name: str
    size: int | None

    def to_json(self) -> dict[str, object]:
        return {"file_id": self.file_id, "file_name": self.file_name, "size": self.size}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> IncomingDocument:
        size = data.get("size")
        return cls(
            str(data["file_id"]),
            str(data["file_name"]),
            int(size) if isinstance(size, int) else None,
        )


PAPER_TYPES = "PDF, DOCX, DOC, ODT, PPTX, PPT, ODP"


def _refuse_file(problem: FileProblem, max_bytes: int, types: str) -> Refused:
    return Refused(
        Text(FILE_PROBLEM_TEXT[problem], {"max_mb": max_bytes // (1024 * 1024), "types": types})
    )


def check_before_download(
    document: IncomingDocument,
    max_bytes: int,
    accepted: Mapping[str, str | None] = ACCEPTED_EXTENSIONS,
    types: str = PAPER_TYPES,
) -> None:
    """Refuses a document whose name or announced size already rules it out (by default, as
    a paper or a material; ``accepted`` and ``types`` for other kinds of file)."""
    problem = problem_before_download(document.file_name, document.size, max_bytes, accepted)
    if problem is not None:
        raise _refuse_file(problem, max_bytes, types)


async def checked_content(
    document: IncomingDocument,
    files: Files,
    accepted: Mapping[str, str | None] = ACCEPTED_EXTENSIONS,
    types: str = PAPER_TYPES,
) -> bytes:
    """The document's bytes, fetched only when the name and size allow, then checked."""
    check_before_download(document, files.max_bytes, accepted, types)
    content = await files.fetch(document.file_id)
    # CPU work on up to the size limit: beside the event loop, others are answered meanwhile.
    problem = await asyncio.to_thread(
        problem_with_content, document.file_name, content, files.max_bytes, accepted
    )
    if problem is not None:
        raise _refuse_file(problem, files.max_bytes, types)
    return content
