"""Decompression bombs: archives (ODT, ODP, DOCX, PPTX) are judged without unpacking them.

A bomb is a small upload whose entries unpack to gigabytes. The check reads a bounded number
of bytes, refuses what would unpack to an absurd size, and runs beside the event loop, so
the sender gets a clear refusal and everyone else is still answered.
"""

from __future__ import annotations

import io
import random
import struct
import threading
import tracemalloc
import zipfile
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from functools import cache

import pytest

import services.papers.documents
from domain.papers import FileProblem, problem_with_content
from storage.models import PaperSubmission, StoredFile
from tests.harness import BotWith, RunningBot, cell_with_members, eventually
from tests.test_papers_e2e import assign, real_docx, schedule

MB = 1024 * 1024
GB = 1024 * MB
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
LIMIT = 20 * MB
TYPES = "PDF, DOCX, DOC, ODT, PPTX, PPT, ODP"


def odt(mimetype_entry: zipfile.ZipInfo | None = None, inflated_size: int = 0) -> bytes:
    """An OpenDocument text; with ``inflated_size``, its mimetype is padded with that many
    spaces (which the old check stripped), written in chunks so 1 GB is never in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = mimetype_entry or zipfile.ZipInfo("mimetype")
        with archive.open(info, "w") as entry:
            entry.write(ODT_MIMETYPE)
            chunk = b" " * MB
            for _ in range(inflated_size // MB):
                entry.write(chunk)
        archive.writestr("META-INF/manifest.xml", "<manifest/>", zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@cache
def odt_bomb() -> bytes:
    """About 1 MB whose mimetype entry unpacks to 1 GB, its size declared honestly."""
    deflated = zipfile.ZipInfo("mimetype")
    deflated.compress_type = zipfile.ZIP_DEFLATED
    return odt(deflated, inflated_size=GB)


def docx_with(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name, content in {"word/document.xml": b"<w:document/>", **entries}.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def patch_directory_entry(content: bytes, name: bytes, **fields: int) -> bytes:
    """The archive with one entry's central-directory record rewritten (crc, compress_size,
    file_size), as a forger would: zipfile trusts these, not the local header."""
    offsets = {"crc": 16, "compress_size": 20, "file_size": 24}
    patched = bytearray(content)
    end_record = patched.rindex(b"PK\x05\x06")
    start = struct.unpack_from("<I", patched, end_record + 16)[0]
    while True:
        assert patched[start : start + 4] == b"PK\x01\x02"
        name_length, extra_length, comment_length = struct.unpack_from("<3H", patched, start + 28)
        if bytes(patched[start + 46 : start + 46 + name_length]) == name:
            break
        start += 46 + name_length + extra_length + comment_length
    for field, value in fields.items():
        struct.pack_into("<I", patched, start + offsets[field], value)
    return bytes(patched)


@contextmanager
def peak_allocation() -> Iterator[list[int]]:
    """The most memory Python held at once inside the block (all threads), in bytes."""
    measured: list[int] = []
    tracemalloc.start()
    try:
        yield measured
        measured.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


# --- the rule, on its own -------------------------------------------------------------------


def test_a_bomb_declaring_its_size_is_refused_reading_little() -> None:
    bomb = odt_bomb()
    assert len(bomb) < 2 * MB
    with peak_allocation() as peak:
        assert problem_with_content("tham-luan.odt", bomb, LIMIT) is FileProblem.UNSAFE_ARCHIVE
    assert peak[0] < 10 * MB


def test_a_bomb_with_a_forged_small_size_is_refused() -> None:
    # The directory claims the mimetype is just the 39 bytes of the type, with their CRC: a
    # reader that trusts it sees a valid ODT, one that follows the stream gets 1 GB.
    forged = patch_directory_entry(
        odt_bomb(), b"mimetype", file_size=len(ODT_MIMETYPE), crc=zlib.crc32(ODT_MIMETYPE)
    )
    with zipfile.ZipFile(io.BytesIO(forged)) as archive:
        assert archive.read("mimetype") == ODT_MIMETYPE
    with peak_allocation() as peak:
        assert problem_with_content("tham-luan.odt", forged, LIMIT) is FileProblem.UNSAFE_ARCHIVE
    assert peak[0] < 10 * MB


def test_a_mimetype_longer_than_any_type_is_refused() -> None:
    # 64 KB of padding: under every size and ratio limit, but no media type is that long.
    padded = docx_with({"mimetype": ODT_MIMETYPE + b" " * 65_536}, zipfile.ZIP_STORED)
    assert problem_with_content("a.odt", padded, LIMIT) is FileProblem.UNSAFE_ARCHIVE


def test_an_entry_compressed_beyond_any_document_is_refused() -> None:
    # 50 MB of zeros in 50 KB: far under the total limit, but 1000:1.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        info = zipfile.ZipInfo("word/document.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as entry:
            for _ in range(50):
                entry.write(b"\x00" * MB)
    assert problem_with_content("a.docx", buffer.getvalue(), LIMIT) is FileProblem.UNSAFE_ARCHIVE


def test_entries_declaring_too_much_in_total_are_refused() -> None:
    # Two incompressible 3 MB images, each declared to unpack to 300 MB: 100:1 apiece,
    # 600 MB together.
    noise = random.Random(12)
    images = {f"word/media/image{n}.png": noise.randbytes(3 * MB) for n in (1, 2)}
    honest = docx_with(images, zipfile.ZIP_STORED)
    assert problem_with_content("a.docx", honest, LIMIT) is None
    inflated = honest
    for name in images:
        inflated = patch_directory_entry(inflated, name.encode(), file_size=300 * MB)
    assert problem_with_content("a.docx", inflated, LIMIT) is FileProblem.UNSAFE_ARCHIVE


def test_a_bomb_cut_into_many_entries_under_the_entry_size_is_refused() -> None:
    # 400 entries of 1 MB of zeros each (just under the per-entry check): 400 MB unpacked,
    # within the total, from well under 1 MB: about 1000:1 for the archive as a whole.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for number in range(400):
            archive.writestr(f"word/media/part{number}.bin", b"\x00" * MB)
    assert len(buffer.getvalue()) < MB
    assert problem_with_content("a.docx", buffer.getvalue(), LIMIT) is FileProblem.UNSAFE_ARCHIVE


def test_too_many_entries_are_refused() -> None:
    many = docx_with({f"word/media/{n}.xml": b"" for n in range(6_000)})
    assert problem_with_content("a.docx", many, LIMIT) is FileProblem.UNSAFE_ARCHIVE
    some = docx_with({f"word/media/{n}.xml": b"" for n in range(500)})
    assert problem_with_content("a.docx", some, LIMIT) is None


def test_bzip2_entries_are_refused_whatever_their_size() -> None:
    # No office suite writes them, and zipfile unpacks each chunk of one without a bound.
    small = docx_with({"word/styles.xml": b"<w:styles/>"}, zipfile.ZIP_BZIP2)
    assert problem_with_content("a.docx", small, LIMIT) is FileProblem.UNSAFE_ARCHIVE


def test_damaged_archives_are_refused_as_such() -> None:
    truncated = real_docx("Bản thảo")[:-200]
    assert problem_with_content("a.docx", truncated, LIMIT) is FileProblem.UNSAFE_ARCHIVE


def test_real_documents_are_still_accepted() -> None:
    assert problem_with_content("tham-luan.docx", real_docx("Tham luận"), LIMIT) is None
    assert problem_with_content("tham-luan.odt", odt(), LIMIT) is None
    # A large but ordinary XML part: 8 MB compressing about 12:1.
    text = b"".join(b"<w:p><w:r><w:t>%d</w:t></w:r></w:p>" % n for n in range(250_000))
    assert problem_with_content("dai.docx", docx_with({"word/document.xml": text}), LIMIT) is None
    # A renamed ODT still fails as a mismatch, not as a bomb.
    assert problem_with_content("a.docx", odt(), LIMIT) is FileProblem.CONTENT_MISMATCH


# --- through the bot -------------------------------------------------------------------------


@pytest.fixture
async def concurrent_bot(bot_with: BotWith) -> AsyncIterator[RunningBot]:
    # Two updates at once, as a deployment that raises CHIBO_CONCURRENT_UPDATES has them.
    async with bot_with(concurrent_updates=4) as bot:
        yield bot


async def test_a_member_sending_a_bomb_is_refused_while_others_are_answered(
    concurrent_bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = concurrent_bot
    t, emu = bot.t, bot.emulator
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa"])
    lan, (minh, hoa) = cell.secretary, cell.members
    card = await schedule(bot, lan, "05/12 19:30")
    await assign(bot, lan, card, "Lê Văn Minh", "Vai trò của chi bộ cơ sở", None)
    bomb = odt_bomb()

    # Once the content check has started, it waits for Hoa's answer: on the event loop it
    # would hold Hoa's update back (and give up); beside the loop, Hoa is answered meanwhile.
    check_started, hoa_answered = threading.Event(), threading.Event()
    answered_during_check: list[bool] = []
    check = services.papers.documents.problem_with_content

    def check_after_hoa(
        file_name: str, content: bytes, max_bytes: int, accepted: Mapping[str, str | None]
    ) -> FileProblem | None:
        check_started.set()
        answered_during_check.append(hoa_answered.wait(timeout=5))
        return check(file_name, content, max_bytes, accepted)

    monkeypatch.setattr(services.papers.documents, "problem_with_content", check_after_hoa)

    with peak_allocation() as peak:
        bomb_update = emu.send_document(minh, file_name="tham-luan.odt", content=bomb)
        await eventually(check_started.is_set)
        await bot.settle(emu.send_text(hoa, "/submit"))
        hoa_answered.set()
        await bot.settle(bomb_update)

    assert answered_during_check == [True]
    assert bot.last(hoa.id).text == t("vi", "paper.none_assigned")
    assert bot.last(minh.id).text == t("vi", "file.unsafe_archive", max_mb=20, types=TYPES)
    assert await bot.rows(PaperSubmission) == []
    assert await bot.rows(StoredFile) == []
    # The 1 MB download and its copies, never the gigabyte it unpacks to.
    assert peak[0] < 100 * MB
