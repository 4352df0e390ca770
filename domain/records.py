"""The minutes (biên bản) of a meeting as a document to render: plain data, already in the
reader's language, so that reports/ only lays it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class MinutesLabels:
    """Every fixed word of the document, translated by the caller (Vietnamese by default)."""

    party_header: str  # "ĐẢNG CỘNG SẢN VIỆT NAM"
    title: str  # "BIÊN BẢN SINH HOẠT CHI BỘ" or "BIÊN BẢN SINH HOẠT CHUYÊN ĐỀ"
    time_and_place: str  # "Thời gian, địa điểm"
    time: str  # "Thời gian"
    place: str  # "Địa điểm"
    chair: str  # "Chủ trì"
    note_taker: str  # "Thư ký"
    attendance: str  # "Thành phần dự họp"
    expected: str  # "Tổng số đảng viên phải dự"
    present: str  # "Có mặt"
    excused: str  # "Vắng có lý do"
    unexcused: str  # "Vắng không lý do"
    rate: str  # "Tỷ lệ tham dự"
    number: str  # "STT"
    name: str  # "Họ và tên"
    status: str  # "Tình hình"
    reason: str  # "Lý do"
    content: str  # "Nội dung"
    report: str  # "Báo cáo"
    opinions: str  # "Ý kiến thảo luận"
    conclusion: str  # "Kết luận"
    resolution: str  # "Nghị quyết"
    tasks: str  # "Nhiệm vụ"
    assignee: str  # "Người thực hiện"
    due: str  # "Thời hạn"
    vote: str  # "Biểu quyết"
    votes_for: str  # "Tán thành"
    votes_against: str  # "Không tán thành"
    votes_abstain: str  # "Không biểu quyết"
    adopted: str  # "Nghị quyết được thông qua"
    not_adopted: str  # "Nghị quyết chưa được thông qua"
    closing: str  # "Cuộc họp kết thúc lúc"
    signature_hint: str  # "(Ký, ghi rõ họ tên)"
    date_line: str  # "{place}, ngày {day} tháng {month} năm {year}" — already filled in
    number_line: str  # "Số 03-BB/CB" — already filled in
    approval: str  # "Biên bản đã được thông qua trước chi bộ lúc … giờ …, … đồng chí nhất trí."


@dataclass(frozen=True)
class AttendeeLine:
    name: str
    status: str  # already translated: "có mặt", "vắng có lý do", "vắng không lý do"
    reason: str = ""


@dataclass(frozen=True)
class Opinion:
    """What one person said under an agenda item, as the secretary recorded it."""

    speaker: str
    text: str


@dataclass(frozen=True)
class ItemRecord:
    title: str
    report: str = ""
    opinions: str = ""
    conclusion: str = ""
    spoken: list[Opinion] = field(default_factory=list)


@dataclass(frozen=True)
class TaskLine:
    description: str
    assignee: str
    due: date | None = None


@dataclass(frozen=True)
class VoteRecord:
    votes_for: int
    against: int
    abstain: int
    adopted: bool


@dataclass(frozen=True)
class MinutesDocument:
    labels: MinutesLabels
    organisation: str  # the upper organisation, e.g. "ĐẢNG BỘ VĂN PHÒNG UBND TỈNH"
    cell: str  # e.g. "CHI BỘ PHÒNG TỔNG HỢP"
    subtitle: str  # e.g. "Sinh hoạt thường kỳ tháng 12/2026" or the thematic meeting's theme
    starts_at: datetime  # local time
    ends_at: datetime | None
    place: str
    chair: str
    note_taker: str
    expected: int
    present: int
    excused: int
    unexcused: int
    rate_percent: int
    # Already translated; set when the meeting lacked quorum, so it adopted nothing.
    quorum_note: str = ""
    attendees: list[AttendeeLine] = field(default_factory=list)
    items: list[ItemRecord] = field(default_factory=list)
    resolution: str = ""
    tasks: list[TaskLine] = field(default_factory=list)
    vote: VoteRecord | None = None
