"""`chibo demo`: the whole product on this machine, with no token and no internet.

The local Bot API emulator runs in-process; the real application polls it, with a fresh
SQLite database and a fake clock. An organisation shaped like the seeds' (5 cells, 32 party
members) is built and lives through a quarter, October to December 2026, entirely through
the bot's chat flows: scheduling, invitations, answers with reasons, check-ins, the roll,
papers, minutes, one cell late and one cell missing a month. At the end the supervisor asks
for the quarter's digest; its chart and workbook and one set of minutes are written to a
folder; the supervisor opens the dashboard from the bot's button (served on this machine, a
snapshot of it is written too), and a short summary is printed with the dashboard's address.
"""

from __future__ import annotations

import asyncio
import calendar
import errno
import logging
import random
import re
import shutil
import signal
import time
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr
from starlette.types import ASGIApp

from bot.app import build_application
from bot.logging import configure_logging
from bot.settings import DASHBOARD_PATH, Settings
from bot.webhook import asgi_app
from chat.i18n import Translator
from domain.clock import FakeClock
from domain.messages import ArgValue
from domain.roles import Language
from emulator import BotApiEmulator, EmuUser, SentMessage
from emulator.driver import LOCAL_HOST, ChatDriver, ChatError, running, running_emulator, serving
from handlers.common import STATE_KEY
from reports.dashboard import snapshot
from scheduler.dispatcher import OutboxDispatcher
from services.onboarding import create_organisation
from storage import migrate
from storage.db import Database
from storage.files import FileStore

DEMO_TOKEN = "4242424242:CHIBO-DEMO-LOCAL"
DEMO_BOT_USERNAME = "chibo_demo_bot"
LANG = Language.VI.value
TIMEZONE = "Asia/Ho_Chi_Minh"
ZONE = ZoneInfo(TIMEZONE)
YEAR = 2026
QUARTER_MONTHS = (10, 11, 12)
QUICK_MONTHS = (10, 12)
START = datetime(YEAR, 10, 1, 8, 0, tzinfo=ZONE)
# A Monday morning after the quarter: the weekly digest has just gone out.
DIGEST_MOMENT = datetime(YEAR, 12, 28, 8, 0, tzinfo=ZONE)
PLANNER_HOUR = 8
CUTOFF_DAY = 10
SEED = 2026
# Share of meetings whose minutes the secretary records in chat (the rest show as missing).
MINUTES_SHARE = 0.7
QUICK_MINUTES_SHARE = 0.3
SETTLE_TIMEOUT = 30.0
DATABASE_FILE = "chibo-demo.db"
# Named after the demo, since a run empties it: `--out .` must not take someone's "files".
FILE_STORE_DIR = "chibo-demo-files"
CHART_FILE = "digest-chart.png"
WORKBOOK_FILE = "digest.xlsx"
DASHBOARD_FILE = "dashboard.html"
# Where Telegram would open the dashboard (HTTPS, behind the deployment's proxy); the demo
# serves it on this machine at http://127.0.0.1:PORT instead, the port --port's.
DEMO_PUBLIC_URL = "https://chibo.example.org"
DEMO_PORT = 8765
MINUTES_FILES = "bien-ban-*.docx"
# The due date the bot proposes for a paper, which the secretary accepts.
PAPERS_DUE_BEFORE = timedelta(days=3)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

ORGANISATION = "Đảng bộ Văn phòng UBND tỉnh"
SUPERVISOR = "Trần Quốc Hùng"
# Name and size (secretary included) of each cell: 32 party members in all, as in the seeds.
CELLS = (
    ("Chi bộ Phòng Tổng hợp", 8),
    ("Chi bộ Phòng Hành chính - Tổ chức", 7),
    ("Chi bộ Phòng Quản trị - Tài vụ", 6),
    ("Chi bộ Phòng Kinh tế", 6),
    ("Chi bộ Trung tâm Phục vụ hành chính công", 5),
)
LATE_CELL, LATE_MONTH = 3, 12
# Whose members were entered from the secretary's spreadsheet (/import), then claimed.
IMPORTED_CELL = 0
MISSING_CELL, MISSED_MONTH = 4, 10

FAMILY_NAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ",
    "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
)  # fmt: skip
MIDDLE_NAMES = {
    "male": ("Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Ngọc", "Xuân"),
    "female": ("Thị", "Thu", "Ngọc", "Thanh", "Kim", "Thùy", "Minh", "Hồng"),
}
GIVEN_NAMES = {
    "male": (
        "An", "Bình", "Cường", "Dũng", "Hải", "Hiếu", "Khang", "Long", "Nam",
        "Phong", "Quân", "Sơn", "Tâm", "Thắng", "Trung", "Tuấn", "Việt", "Vinh",
    ),
    "female": (
        "Anh", "Châu", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan",
        "Linh", "Mai", "Nhung", "Phương", "Thảo", "Trang", "Vân", "Yến", "Loan",
    ),
}  # fmt: skip
PLACES = ("Hội trường tầng 2", "Phòng họp số 1", "Phòng họp giao ban", "Hội trường nhà B")
REGULAR_TIMES = ((7, 30), (14, 0), (16, 30))
THEMES = (
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Nâng cao chất lượng sinh hoạt chi bộ",
    "Phòng, chống suy thoái về tư tưởng chính trị, đạo đức, lối sống",
    "Chuyển đổi số trong công tác văn phòng",
    "Dân vận khéo trong cải cách thủ tục hành chính",
)
PAPER_TOPICS = (
    "Vai trò của đảng viên trong thực hiện nhiệm vụ chuyên môn",
    "Kinh nghiệm nêu gương của cán bộ, đảng viên",
    "Giải pháp nâng cao chất lượng tham mưu",
    "Ứng dụng công nghệ thông tin trong giải quyết hồ sơ",
    "Giữ gìn phẩm chất đạo đức, lối sống của đảng viên",
)
ABSENCE_REASONS = (
    "rsvp.reason.business_trip",
    "rsvp.reason.illness",
    "rsvp.reason.family",
    "rsvp.reason.far_away",
    "rsvp.reason.other",
)
OTHER_REASONS = (
    "Học lớp bồi dưỡng lý luận chính trị",
    "Trực tiếp công dân theo lịch",
    "Tập huấn nghiệp vụ tại Hà Nội",
)
CONCLUSIONS = (
    "Chi bộ thống nhất đánh giá đã hoàn thành tốt nhiệm vụ tháng trước.",
    "Các đồng chí đảng viên phát huy tinh thần trách nhiệm, giữ kỷ luật phát ngôn.",
    "Tập trung hoàn thành hồ sơ, báo cáo đúng hạn; không để tồn đọng việc.",
)
OPINION = "Nhất trí với báo cáo; đề nghị chi bộ theo dõi sát tiến độ các nhiệm vụ còn lại."
TASKS = (
    "Hoàn thành báo cáo tổng kết năm",
    "Rà soát hồ sơ đảng viên",
    "Chuẩn bị nội dung sinh hoạt chuyên đề quý sau",
    "Đôn đốc thu đảng phí",
    "Cập nhật sổ tay đảng viên điện tử",
)


# The bot did not behave as the scenario expects; the message says where.
DemoError = ChatError


# --- the real application on the emulator (the demo's, and the tests' and benchmarks') ----


def emulated_settings(
    emulator: BotApiEmulator, database: Database, file_store: Path, **overrides: Any
) -> Settings:
    """The settings of `chibo run` against the local emulator: its token and Bot API URLs,
    the database, the file store; nothing read from the environment."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(emulator.token),
        bot_api_url=emulator.base_url,
        bot_api_file_url=emulator.base_file_url,
        database_url=database.url.render_as_string(hide_password=False),
        file_store=file_store,
        **overrides,
    )


@dataclass
class ChiboChat(ChatDriver):
    """The real application (bot/app.py) on the emulator, with its translator, outbox
    dispatcher and planner at hand. An update is settled once what it queued was sent."""

    database: Database
    clock: FakeClock
    settings: Settings
    # Whether the outbox is drained after each update (see the tests' dispatcher_down).
    dispatching: bool = True

    @property
    def translator(self) -> Translator:
        translator: Translator = self.application.bot_data[STATE_KEY].translator
        return translator

    @property
    def files(self) -> FileStore:
        files: FileStore = self.application.bot_data[STATE_KEY].files
        return files

    @property
    def dispatcher(self) -> OutboxDispatcher:
        dispatcher: OutboxDispatcher = self.application.bot_data["dispatcher"]
        return dispatcher

    async def settled(self) -> None:
        if self.dispatching:
            await self.dispatcher.drain()

    def now(self) -> datetime:
        return self.clock.now()

    async def run_planner(self) -> int:
        """What the planner job does on its tick, then everything it queued is sent; how many
        messages it queued."""
        username = self.emulator.bot.username
        assert username is not None
        queued = await self.application.bot_data["planner"].run(username)
        await self.dispatcher.drain()
        return int(queued)


# --- the demo's bot: the quarter's clock and words on the real application ------------------


@dataclass
class DemoBot(ChiboChat):
    """The real application polling the emulator, with what the scenario does to it."""

    # Whether the planner wakes every morning as the clock moves (reminders, warnings, check-in
    # prompts, weekly digests). --quick leaves them out: under the Bot API flood limit that
    # the bot observes (30 messages a second) each message costs time.
    daily_ticks: bool = True

    settle_timeout = SETTLE_TIMEOUT

    def t(self, key: str, **args: ArgValue) -> str:
        """What the bot says for a catalogue key, in the demo's language."""
        return self.translator.text(LANG, key, **args)

    def when(self, meeting: PlannedMeeting) -> str:
        """The meeting's time as every message about it shows it."""
        return f"🕑 {self.translator.format_datetime(meeting.starts_at, LANG)}"

    async def advance_to(self, moment: datetime) -> None:
        """Move the clock forward; the planner wakes every morning on the way and at
        ``moment``, unless daily ticks are off."""
        if not self.daily_ticks:
            self.clock.set(max(moment, self.clock.now()))
            return
        day = self.clock.now().astimezone(ZONE).date() + timedelta(days=1)
        while (morning := _at(day, PLANNER_HOUR)) < moment:
            self.clock.set(morning)
            await self.run_planner()
            day += timedelta(days=1)
        self.clock.set(max(moment, self.clock.now()))
        await self.run_planner()

    def messages_sent(self) -> int:
        return sum(
            1
            for method in ("sendMessage", "sendDocument")
            for call in self.emulator.calls(method)
            if call.ok
        )


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)


@asynccontextmanager
async def running_demo_bot(out: Path, daily_ticks: bool = True) -> AsyncIterator[DemoBot]:
    """A fresh database, the emulator and the real application polling it, all stopped
    cleanly at the end."""
    database = Database(fresh_output(out))
    try:
        await migrate.upgrade(database)
        # The application stops first: an emulator stopped before makes its polling log errors.
        async with running_emulator(DEMO_TOKEN, DEMO_BOT_USERNAME) as emulator:
            clock = FakeClock(START)
            settings = demo_settings(emulator, database, out)
            application = build_application(settings, database, clock)
            async with running(application):
                yield DemoBot(
                    emulator, application, database, clock, settings, daily_ticks=daily_ticks
                )
    finally:
        await database.dispose()


def demo_settings(emulator: BotApiEmulator, database: Database, out: Path) -> Settings:
    return emulated_settings(
        emulator,
        database,
        out / FILE_STORE_DIR,
        outbox_poll_seconds=0.2,
        # The planner wakes when the fake clock moves (DemoBot.advance_to), not on wall time.
        planner_seconds=3600,
        timezone=TIMEZONE,
        default_language=Language.VI,
        web_url=DEMO_PUBLIC_URL,
    )


def fresh_output(out: Path) -> str:
    """The output folder, created, without what a previous run wrote there (its database,
    stored files and documents, whose names may differ with --quick); the database's URL."""
    out.mkdir(parents=True, exist_ok=True)
    path = (out / DATABASE_FILE).resolve()
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    shutil.rmtree(out / FILE_STORE_DIR, ignore_errors=True)
    for document in (out / CHART_FILE, out / WORKBOOK_FILE, *out.glob(MINUTES_FILES)):
        document.unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path}"


# --- the organisation ---------------------------------------------------------------------


@dataclass(eq=False)
class DemoCell:
    index: int
    name: str
    secretary: EmuUser
    members: list[EmuUser]

    @property
    def people(self) -> list[EmuUser]:
        return [self.secretary, *self.members]


@dataclass
class DemoOrganisation:
    supervisor: EmuUser
    cells: list[DemoCell]

    @property
    def size(self) -> int:
        return sum(len(cell.people) for cell in self.cells)


def vietnamese_names(rng: random.Random, count: int) -> list[str]:
    """Distinct full names, family name + middle name + given name."""
    names: list[str] = []
    while len(names) < count:
        gender = rng.choice(("male", "female"))
        name = " ".join(
            (
                rng.choice(FAMILY_NAMES),
                rng.choice(MIDDLE_NAMES[gender]),
                rng.choice(GIVEN_NAMES[gender]),
            )
        )
        if name not in names and name != SUPERVISOR:
            names.append(name)
    return names


async def join(bot: DemoBot, user: EmuUser, token: str) -> None:
    """Open an invite link and confirm the suggested name (the Telegram name is the full one)."""
    question = await bot.send(user, f"/start {token}")
    await bot.press(user, question, f"✅ {user.first_name}")


def start_token(message: SentMessage) -> str:
    marker = f"https://t.me/{DEMO_BOT_USERNAME}?start="
    text = message.text or ""
    if marker not in text:
        raise DemoError(f"no invite link in {text!r}")
    return text.split(marker, 1)[1].split()[0]


async def seed_organisation(bot: DemoBot, rng: random.Random) -> DemoOrganisation:
    """The organisation, its supervisor, five cells with secretaries and members, all joined
    through their links as people would."""
    created = await create_organisation(
        bot.database, ORGANISATION, bot.clock.now(), cutoff_day=CUTOFF_DAY
    )
    supervisor = bot.emulator.user(10_000, SUPERVISOR)
    await join(bot, supervisor, created.setup_token)
    names = iter(vietnamese_names(rng, sum(size for _, size in CELLS)))
    next_id = 10_001
    cells: list[DemoCell] = []
    for index, (cell_name, size) in enumerate(CELLS):
        people = [bot.emulator.user(next_id + n, next(names)) for n in range(size)]
        next_id += size
        secretary, members = people[0], people[1:]
        await join(bot, secretary, start_token(await bot.send(supervisor, f"/newcell {cell_name}")))
        if index == IMPORTED_CELL:
            await import_and_claim(bot, secretary, members)
        else:
            member_token = start_token(await bot.send(secretary, "/invite"))
            for member in members:
                await join(bot, member, member_token)
        cells.append(DemoCell(index, cell_name, secretary, members))
    return DemoOrganisation(supervisor, cells)


async def import_and_claim(bot: DemoBot, secretary: EmuUser, members: list[EmuUser]) -> None:
    """The secretary sends the cell's list as a spreadsheet (/import), checks the preview and
    confirms; each member then opens the personal link the bot made for them and confirms
    that the name is theirs."""
    rows = [f"{secretary.first_name},chính thức,bí thư"]
    rows += [f"{member.first_name},chính thức,đảng viên" for member in members]
    await bot.send(secretary, "/import")
    preview = await bot.send_document(
        secretary,
        "danh-sach-chi-bo.csv",
        "\n".join(["Họ và tên,Trạng thái,Chức vụ", *rows]).encode(),
    )
    await bot.press(secretary, preview, bot.t("roster.confirm"))
    links = dict(
        re.findall(r"• (.+?): https://t\.me/\S+\?start=(\S+)", bot.last(secretary.id).text or "")
    )
    for member in members:
        if member.first_name not in links:
            raise DemoError(f"no personal link for {member.first_name} after the import")
        asked = await bot.send(member, f"/start {links[member.first_name]}")
        await bot.press(member, asked, bot.t("roster.claim.yes", name=member.first_name))


# --- the quarter's plan -------------------------------------------------------------------


class Answer(Enum):
    ATTEND = "attend"
    ABSENT = "absent"
    SILENT = "silent"


@dataclass(frozen=True)
class Attendance:
    """What one person does about one meeting."""

    answer: Answer
    reason: str | None = None  # the catalogue key of the reason's button
    note: str | None = None  # typed after the "other reason" button
    checks_in: bool = False
    comes: bool = False


class PaperOutcome(Enum):
    ON_TIME = "on time"
    LATE = "late"
    MISSING = "missing"


@dataclass(frozen=True)
class PlannedPaper:
    author: EmuUser
    topic: str
    outcome: PaperOutcome


@dataclass(eq=False)
class PlannedMeeting:
    cell: DemoCell
    kind: str  # the catalogue key of the kind, e.g. meeting.kind.regular
    starts_at: datetime
    place: str
    theme: str | None
    late: bool
    attendance: dict[EmuUser, Attendance]
    papers: list[PlannedPaper]
    minutes: bool
    present: int = 0
    expected: int = 0
    # Who checks in by scanning the QR code the secretary shows the room.
    scans_qr_code: EmuUser | None = None

    @property
    def thematic(self) -> bool:
        return self.kind == "meeting.kind.thematic"


@dataclass
class QuarterPlan:
    months: tuple[int, ...]
    meetings: list[PlannedMeeting] = field(default_factory=list)

    def in_month(self, month: int) -> list[PlannedMeeting]:
        return [m for m in self.meetings if m.starts_at.month == month]


def plan_attendance(rng: random.Random, cell: DemoCell) -> dict[EmuUser, Attendance]:
    """Most come, a few excuse themselves with a reason, now and then one never answers."""
    plans = {cell.secretary: Attendance(Answer.ATTEND, checks_in=True, comes=True)}
    for member in cell.members:
        draw = rng.random()
        if draw < 0.86:
            comes = rng.random() < 0.97
            plans[member] = Attendance(
                Answer.ATTEND, checks_in=comes and rng.random() < 0.6, comes=comes
            )
        elif draw < 0.96:
            reason = rng.choice(ABSENCE_REASONS)
            note = rng.choice(OTHER_REASONS) if reason == "rsvp.reason.other" else None
            plans[member] = Attendance(Answer.ABSENT, reason=reason, note=note)
        else:
            comes = rng.random() < 0.6
            plans[member] = Attendance(
                Answer.SILENT, checks_in=comes and rng.random() < 0.5, comes=comes
            )
    return plans


def plan_papers(rng: random.Random, cell: DemoCell, theme_index: int) -> list[PlannedPaper]:
    authors = rng.sample(cell.members, 2)
    outcomes = rng.choices(list(PaperOutcome), weights=(7, 2, 1), k=2)
    return [
        PlannedPaper(author, PAPER_TOPICS[(theme_index + n) % len(PAPER_TOPICS)], outcome)
        for n, (author, outcome) in enumerate(zip(authors, outcomes, strict=True))
    ]


def regular_start(rng: random.Random, cell: DemoCell, month: int) -> datetime:
    if (cell.index, month) == (LATE_CELL, LATE_MONTH):
        return datetime(YEAR, month, 15, 14, 0, tzinfo=ZONE)
    hour, minute = rng.choice(REGULAR_TIMES)
    return datetime(YEAR, month, rng.randint(3, CUTOFF_DAY - 1), hour, minute, tzinfo=ZONE)


def thematic_month(cell: DemoCell, months: Sequence[int]) -> int:
    """Spread over the quarter; the cell that misses October makes up in December."""
    rotation = (months[0], months[-1], months[len(months) // 2], months[0], months[-1])
    return rotation[cell.index % len(rotation)]


def plan_quarter(rng: random.Random, organisation: DemoOrganisation, quick: bool) -> QuarterPlan:
    plan = QuarterPlan(QUICK_MONTHS if quick else QUARTER_MONTHS)
    minutes_share = QUICK_MINUTES_SHARE if quick else MINUTES_SHARE
    for month in plan.months:
        for cell in organisation.cells:
            if (cell.index, month) != (MISSING_CELL, MISSED_MONTH):
                plan.meetings.append(
                    PlannedMeeting(
                        cell,
                        "meeting.kind.regular",
                        regular_start(rng, cell, month),
                        rng.choice(PLACES),
                        None,
                        (cell.index, month) == (LATE_CELL, LATE_MONTH),
                        plan_attendance(rng, cell),
                        [],
                        minutes=rng.random() < minutes_share,
                    )
                )
            if thematic_month(cell, plan.months) == month:
                theme = (cell.index + month) % len(THEMES)
                plan.meetings.append(
                    PlannedMeeting(
                        cell,
                        "meeting.kind.thematic",
                        datetime(YEAR, month, rng.randint(17, 24), 8, 0, tzinfo=ZONE),
                        PLACES[0],
                        THEMES[theme],
                        False,
                        plan_attendance(rng, cell),
                        plan_papers(rng, cell, theme),
                        minutes=rng.random() < minutes_share,
                    )
                )
        # Minutes for at least one meeting a month, whatever the draw: the first cell's.
        plan.in_month(month)[0].minutes = True
    first = min(plan.meetings, key=lambda meeting: meeting.starts_at)
    first.scans_qr_code = next(
        (p for p, a in first.attendance.items() if a.checks_in and p is not first.cell.secretary),
        None,
    )
    return plan


# --- the chat flows -----------------------------------------------------------------------


async def schedule_and_invite(bot: DemoBot, meeting: PlannedMeeting) -> None:
    """/schedule → kind → date → (late confirmation) → place → (theme) → create → invite."""
    secretary = meeting.cell.secretary
    kinds = await bot.send(secretary, "/schedule")
    await bot.press(secretary, kinds, bot.t(meeting.kind))
    reply = await bot.send(secretary, f"{meeting.starts_at:%d/%m/%Y %H:%M}")
    if bot.t("schedule.late_yes") in reply.button_texts():
        await bot.press(secretary, reply, bot.t("schedule.late_yes"))
    confirm = await bot.send(secretary, meeting.place)
    if meeting.theme is not None:
        confirm = await bot.send(secretary, meeting.theme)
    card = await bot.press(secretary, confirm, bot.t("schedule.create"))
    await bot.press(secretary, card, bot.t("meeting.broadcast"))
    if meeting.papers:
        await assign_papers(bot, meeting)


async def assign_papers(bot: DemoBot, meeting: PlannedMeeting) -> None:
    secretary = meeting.cell.secretary
    card = await open_meeting_card(bot, meeting)
    view = await bot.press(secretary, card, bot.t("meeting.papers"))
    for paper in meeting.papers:
        picker = await bot.press(secretary, view, bot.t("paper.assign"))
        await bot.press(secretary, picker, paper.author.first_name)
        due_question = await bot.send(secretary, paper.topic)
        # The default due date comes first, before the day before the meeting.
        default, _day_before = [b for b in due_question.button_texts() if b.startswith("📅")]
        view = await bot.press(secretary, due_question, default)


async def open_meeting_card(bot: DemoBot, meeting: PlannedMeeting) -> SentMessage:
    secretary = meeting.cell.secretary
    plan = await bot.send(secretary, "/meetings")
    day = f"{meeting.starts_at:%d/%m}"
    labels = [b for b in plan.button_texts() if day in b]
    if not labels:
        raise DemoError(f"no meeting on {day} in /meetings: {plan.button_texts()}")
    return await bot.press(secretary, plan, labels[0])


async def answer_invitations(bot: DemoBot, meeting: PlannedMeeting) -> None:
    for person, plan in meeting.attendance.items():
        if plan.answer is Answer.SILENT:
            continue
        invitation = bot.latest_with_button(person.id, bot.t("rsvp.attend"), bot.when(meeting))
        if invitation is None or "📣" not in (invitation.text or ""):
            raise DemoError(f"{person.first_name} got no invitation")
        if plan.answer is Answer.ATTEND:
            await bot.press(person, invitation, bot.t("rsvp.attend"))
            continue
        assert plan.reason is not None
        reasons = await bot.press(person, invitation, bot.t("rsvp.absent"))
        await bot.press(person, reasons, bot.t(plan.reason))
        if plan.note is not None:
            await bot.send(person, plan.note)


async def check_in(bot: DemoBot, meeting: PlannedMeeting) -> None:
    """Those who check themselves in press the button of the prompt the planner sent, or
    type /checkin when the planner does not wake (--quick); one scans the QR code."""
    done = bot.t("checkin.done", summary="").strip()
    for person, plan in meeting.attendance.items():
        if not plan.checks_in:
            continue
        if person is meeting.scans_qr_code:
            reply = await check_in_by_qr_code(bot, meeting, person)
        elif bot.daily_ticks:
            prompt = bot.latest_with_button(person.id, bot.t("checkin.button"), bot.when(meeting))
            if prompt is None:
                raise DemoError(f"{person.first_name} got no check-in prompt")
            reply = await bot.press(person, prompt, bot.t("checkin.button"))
        else:
            reply = await bot.send(person, "/checkin")
        if not (reply.text or "").startswith(done):
            raise DemoError(f"{person.first_name} could not check in: {reply.text!r}")


async def check_in_by_qr_code(
    bot: DemoBot, meeting: PlannedMeeting, person: EmuUser
) -> SentMessage:
    """The secretary puts the QR code from /attendance on the room's screen; the member's
    phone camera opens its link in the bot, and one tap checks them in."""
    secretary = meeting.cell.secretary
    overview = await bot.send(secretary, "/attendance")
    before = bot.emulator.message_count(secretary.id)
    await bot.press(secretary, overview, bot.t("attendance.qr"))
    sent = bot.messages_since(secretary.id, before)
    qr_code = next((m for m in sent if (m.content or b"").startswith(b"\x89PNG")), None)
    if qr_code is None:
        raise DemoError(f"{secretary.first_name} got no QR code for check-in")
    opened = await bot.send(person, f"/start {start_token(qr_code)}")
    return await bot.press(person, opened, bot.t("checkin.button"))


ROLL_MARKS = ("✅", "🟡", "❌")  # the order a press moves through: present, excused, absent
UNMARKED = "❔"  # who has not checked in starts undecided; a first press marks present


def roll_target(plan: Attendance) -> str:
    if plan.comes:
        return "✅"
    return "🟡" if plan.answer is Answer.ABSENT else "❌"


async def take_roll(bot: DemoBot, meeting: PlannedMeeting) -> None:
    """Open the roll, correct it to who really came, count it and close it."""
    secretary = meeting.cell.secretary
    overview = await bot.send(secretary, "/attendance")
    roll = await bot.press(secretary, overview, bot.t("attendance.open_roll"))
    for person, plan in meeting.attendance.items():
        label = roll_label(roll, person)
        if label[0] == UNMARKED:
            roll = await bot.press(secretary, roll, label)
            label = roll_label(roll, person)
        presses = (ROLL_MARKS.index(roll_target(plan)) - ROLL_MARKS.index(label[0])) % 3
        for _ in range(presses):
            roll = await bot.press(secretary, roll, roll_label(roll, person))
    marks = [roll_label(roll, person)[0] for person in meeting.attendance]
    meeting.present, meeting.expected = marks.count("✅"), len(marks)
    await bot.press(secretary, roll, bot.t("roll.close"))


def roll_label(roll: SentMessage, person: EmuUser) -> str:
    for label in roll.button_texts():
        if f" {person.first_name} — " in label:
            return label
    raise DemoError(f"{person.first_name} is not on the roll: {roll.button_texts()}")


async def submit_paper(bot: DemoBot, paper: PlannedPaper) -> None:
    given_names = " ".join(paper.author.first_name.split()[-2:])
    name = f"tham-luan-{ascii_slug(given_names)}.pdf"
    await bot.send_document(paper.author, name, PDF, mime_type="application/pdf")


def ascii_slug(text: str) -> str:
    """File names anyone can type: "Đức Phong" → "duc-phong"."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "-".join("".join(c for c in plain if not unicodedata.combining(c)).lower().split())


async def record_minutes(bot: DemoBot, meeting: PlannedMeeting, rng: random.Random) -> None:
    """Chair, note-taker, a conclusion, the resolution with one task, the vote, finished."""
    secretary = meeting.cell.secretary
    came = [p for p, plan in meeting.attendance.items() if plan.comes and p is not secretary]
    came = came or [secretary]
    editor = await open_minutes(bot, meeting)
    editor = await type_after(bot, secretary, editor, "minutes.chair_button", secretary.first_name)
    editor = await type_after(
        bot, secretary, editor, "minutes.note_taker_button", came[0].first_name
    )
    [first_item] = [b for b in editor.button_texts() if b.startswith("1. ")]
    item = await bot.press(secretary, editor, first_item)
    editor = await type_after(
        bot, secretary, item, "minutes.conclusion_button", rng.choice(CONCLUSIONS)
    )
    # Who said what under the second item, the speaker picked among those present.
    for second_item in [b for b in editor.button_texts() if b.startswith("2. ")]:
        item = await bot.press(secretary, editor, second_item)
        speakers = await bot.press(secretary, item, bot.t("minutes.opinions_button"))
        await bot.press(secretary, speakers, came[0].first_name)
        item = await bot.send(secretary, OPINION)
        editor = await bot.press(secretary, item, bot.t("common.back"))
    resolution = await bot.press(secretary, editor, bot.t("minutes.resolution_button"))
    next_month = (meeting.starts_at.replace(day=1) + timedelta(days=32)).strftime("%m/%Y")
    resolution = await type_after(
        bot,
        secretary,
        resolution,
        "resolution.text_button",
        f"Chi bộ thống nhất nhiệm vụ trọng tâm tháng {next_month}:\n"
        "Hoàn thành các nhiệm vụ chuyên môn đúng tiến độ.",
    )
    members = await bot.press(secretary, resolution, bot.t("resolution.task_button"))
    await bot.press(secretary, members, rng.choice(came).first_name)
    due = (meeting.starts_at + timedelta(days=30)).date()
    resolution = await bot.send(secretary, f"{rng.choice(TASKS)}; {due:%d/%m/%Y}")
    # A meeting without quorum is offered no vote: it adopts nothing.
    if bot.t("resolution.vote_button") in resolution.button_texts():
        abstain = 1 if meeting.present > 5 and rng.random() < 0.3 else 0
        await bot.press(secretary, resolution, bot.t("resolution.vote_button"))
        resolution = await bot.send(secretary, f"{meeting.present - abstain} 0 {abstain}")
    editor = await bot.press(secretary, resolution, bot.t("resolution.back"))
    await bot.press(secretary, editor, bot.t("minutes.finish"))


async def open_minutes(bot: DemoBot, meeting: PlannedMeeting) -> SentMessage:
    secretary = meeting.cell.secretary
    history = await bot.send(secretary, "/minutes")
    day = f"{meeting.starts_at:%d/%m}"
    labels = [b for b in history.button_texts() if day in b]
    if not labels:
        raise DemoError(f"no minutes for {day} in /minutes: {history.button_texts()}")
    return await bot.press(secretary, history, labels[0])


async def type_after(
    bot: DemoBot, user: EmuUser, message: SentMessage, button_key: str, text: str
) -> SentMessage:
    """Press the button that asks for a text, type it; returns the bot's answer."""
    await bot.press(user, message, bot.t(button_key))
    return await bot.send(user, text)


# --- the quarter, in the order things happen ----------------------------------------------


@dataclass(order=True)
class Step:
    at: datetime
    order: int
    action: Callable[[], Awaitable[None]] = field(compare=False)


def quarter_steps(bot: DemoBot, plan: QuarterPlan, rng: random.Random) -> list[Step]:
    """Each month the secretaries plan on the 1st and members answer; then every meeting
    runs its course: papers in, check-in, roll, minutes."""
    steps: list[Step] = []

    def add(at: datetime, action: Callable[[], Awaitable[None]]) -> None:
        steps.append(Step(at, len(steps), action))

    for month in plan.months:
        add(datetime(YEAR, month, 1, 9, 0, tzinfo=ZONE), partial(plan_month, bot, plan, month))
    for meeting in plan.meetings:
        start = meeting.starts_at
        for paper in meeting.papers:
            submitted = {
                PaperOutcome.ON_TIME: start - PAPERS_DUE_BEFORE - timedelta(days=1),
                PaperOutcome.LATE: start - timedelta(hours=3),
            }.get(paper.outcome)
            if submitted is not None:
                add(submitted, partial(submit_paper, bot, paper))
        add(start - timedelta(minutes=20), partial(check_in, bot, meeting))
        add(start + timedelta(minutes=45), partial(take_roll, bot, meeting))
        if meeting.minutes:
            add(start + timedelta(hours=3), partial(record_minutes, bot, meeting, rng))
    return sorted(steps)


async def plan_month(bot: DemoBot, plan: QuarterPlan, month: int) -> None:
    for meeting in plan.in_month(month):
        await schedule_and_invite(bot, meeting)
        await answer_invitations(bot, meeting)


async def play_quarter(
    bot: DemoBot, plan: QuarterPlan, rng: random.Random, progress: Callable[[str], None]
) -> None:
    """The steps in time order; each month is reported once the clock has left it."""
    unreported = list(plan.months)
    for step in quarter_steps(bot, plan, rng):
        while unreported and step.at >= _month_after(unreported[0]):
            progress(month_progress(plan, unreported.pop(0)))
        await bot.advance_to(step.at)
        await step.action()
    for month in unreported:
        progress(month_progress(plan, month))


def _month_after(month: int) -> datetime:
    return (datetime(YEAR, month, 1, tzinfo=ZONE) + timedelta(days=32)).replace(day=1)


def month_progress(plan: QuarterPlan, month: int) -> str:
    """What the month's meetings came to, as the roll counted them."""
    held = [m for m in plan.in_month(month) if m.expected]
    regular = [m for m in held if not m.thematic]
    papers = [p for m in held for p in m.papers]
    handed_in = sum(1 for p in papers if p.outcome is not PaperOutcome.MISSING)
    present, expected = sum(m.present for m in held), sum(m.expected for m in held)
    return (
        f"{calendar.month_name[month]} {YEAR}: {len({m.cell for m in regular})} of "
        f"{len(CELLS)} cells met, {sum(1 for m in regular if not m.late)} before the cutoff "
        f"(day {CUTOFF_DAY}); thematic meetings: {len(held) - len(regular)}; "
        f"{present} of {expected} present; {handed_in} of {len(papers)} papers in; "
        f"minutes for {sum(1 for m in held if m.minutes)} meetings"
    )


# --- what the demo leaves behind ----------------------------------------------------------


@dataclass(frozen=True)
class Document:
    file_name: str
    content: bytes


async def export_minutes(bot: DemoBot, meeting: PlannedMeeting) -> Document:
    secretary = meeting.cell.secretary
    editor = await open_minutes(bot, meeting)
    before = bot.emulator.message_count(secretary.id)
    await bot.press(secretary, editor, bot.t("minutes.export"))
    for message in bot.messages_since(secretary.id, before):
        if message.document and message.document.get("file_name", "").endswith(".docx"):
            return Document(message.document["file_name"], message.content or b"")
    raise DemoError("the bot sent no .docx for the minutes")


async def quarter_digest(bot: DemoBot, supervisor: EmuUser) -> tuple[Document, Document]:
    """/digest → this quarter: the chart (PNG) and the workbook (XLSX) that follow."""
    menu = await bot.send(supervisor, "/digest")
    quarter = bot.t("digest.period.quarter")
    if quarter not in menu.button_texts():
        raise DemoError(
            f"/digest offered no {quarter!r} button (is the digest in this version?); "
            f"the bot said {menu.text!r}"
        )
    before = bot.emulator.message_count(supervisor.id)
    await bot.press(supervisor, menu, quarter)
    sent = bot.messages_since(supervisor.id, before)
    return _document(sent, ".png"), _document(sent, ".xlsx")


def _document(messages: list[SentMessage], suffix: str) -> Document:
    for message in messages:
        name = (message.document or {}).get("file_name", "")
        if name.lower().endswith(suffix):
            return Document(name, message.content or b"")
    raise DemoError(f"the digest came without a {suffix} document")


@dataclass
class DemoReport:
    out: Path
    organisation: DemoOrganisation
    plan: QuarterPlan
    files: dict[str, str]  # file name → what it is
    messages_sent: int
    seconds: float
    problems: list[str]
    dashboard: str | None = None  # its address, signed for the supervisor

    @property
    def held(self) -> list[PlannedMeeting]:
        return [m for m in self.plan.meetings if m.expected]

    @property
    def attendance_mean(self) -> float:
        """The mean of the cells' rates, each the mean of its meetings', as the digest counts."""
        by_cell: dict[DemoCell, list[float]] = {}
        for meeting in self.held:
            by_cell.setdefault(meeting.cell, []).append(meeting.present / meeting.expected)
        rates = [sum(cell_rates) / len(cell_rates) for cell_rates in by_cell.values()]
        return sum(rates) / len(rates) if rates else 0.0

    def render(self) -> str:
        lines = [
            f"chibo demo: {ORGANISATION}, a quarter played in {self.seconds:.0f} s "
            f"({self._months()})",
            *self._figures(),
            f"Files in {self.out.resolve()}:",
            *(f"  {name:<28} {what}" for name, what in self.files.items()),
        ]
        lines += [f"Not produced: {problem}" for problem in self.problems]
        if self.dashboard is not None:
            lines += [
                f"The dashboard, as {SUPERVISOR} opens it from the bot (`chibo demo --serve` "
                "keeps it served; open this in a browser):",
                f"  {self.dashboard}",
            ]
        return "\n".join(lines)

    def _months(self) -> str:
        played = ", ".join(f"{month:02d}/{YEAR}" for month in self.plan.months)
        skipped = [m for m in QUARTER_MONTHS if m not in self.plan.months]
        if not skipped:
            return f"months {played}"
        return f"months {played}; --quick skips {', '.join(f'{m:02d}/{YEAR}' for m in skipped)}"

    def _figures(self) -> list[str]:
        cells = self.organisation.cells
        regular = sum(1 for m in self.held if not m.thematic)
        papers = [p for m in self.plan.meetings for p in m.papers]
        submitted = sum(1 for p in papers if p.outcome is not PaperOutcome.MISSING)
        late_papers = sum(1 for p in papers if p.outcome is PaperOutcome.LATE)
        [late] = [m for m in self.plan.meetings if m.late]
        return [
            f"  cells: {len(cells)}; members: {self.organisation.size}; supervisor: {SUPERVISOR}",
            f"  meetings held: {len(self.held)} ({regular} regular, "
            f"{len(self.held) - regular} thematic); mean attendance {self.attendance_mean:.0%}",
            f"  late cell: {late.cell.name}, regular meeting of {late.starts_at:%m/%Y} held on "
            f"{late.starts_at:%d/%m}, after the cutoff (day {CUTOFF_DAY})",
            f"  missed month: {cells[MISSING_CELL].name}, no regular meeting in "
            f"{MISSED_MONTH:02d}/{YEAR}",
            f"  papers: {len(papers)} assigned, {submitted} submitted ({late_papers} late); "
            f"minutes recorded for {sum(1 for m in self.held if m.minutes)} meetings",
            f"  member list: {cells[IMPORTED_CELL].name}'s "
            f"{len(cells[IMPORTED_CELL].people)} names imported from the secretary's spreadsheet "
            "(/import), each member claiming theirs by a personal link",
            *self._qr_check_in(),
            f"  messages sent by the bot (sendMessage + sendDocument): {self.messages_sent}",
        ]

    def _qr_check_in(self) -> list[str]:
        for meeting in self.held:
            if meeting.scans_qr_code is not None:
                return [
                    f"  check-in by QR code: {meeting.scans_qr_code.first_name} scanned the "
                    f"code of {meeting.cell.name}'s meeting of {meeting.starts_at:%d/%m} "
                    "(the secretary's /attendance sends it)"
                ]
        return []


async def run_demo(
    out: Path,
    *,
    quick: bool = False,
    progress: Callable[[str], None] = lambda line: None,
    serve: bool = False,
    port: int = DEMO_PORT,
) -> DemoReport:
    """Play the quarter and write the digest and one set of minutes into ``out``; the
    supervisor then opens the dashboard, which with ``serve`` stays served at ``port`` until
    Ctrl+C. Each stage done is told to ``progress`` in a line."""
    began = time.monotonic()
    rng = random.Random(SEED)
    async with running_demo_bot(out, daily_ticks=not quick) as bot:
        organisation = await seed_organisation(bot, rng)
        progress(
            f"{ORGANISATION}: {len(organisation.cells)} cells and {organisation.size} members "
            "joined through their links"
        )
        plan = plan_quarter(rng, organisation, quick)
        await play_quarter(bot, plan, rng, progress)
        await bot.advance_to(DIGEST_MOMENT)
        await bot.run_planner()  # the weekly digest, even with daily ticks off
        files, problems = await write_documents(bot, out, organisation, plan)
        progress(f"Documents written: {', '.join(files)}")
        dashboard = await show_dashboard(bot, organisation.supervisor, out, port, serve, progress)
        if dashboard is None:
            problems.append("the dashboard (the digest offered no button to it)")
        else:
            files[DASHBOARD_FILE] = "the supervisors' dashboard of the quarter, as a page"
        messages_sent = bot.messages_sent()
    return DemoReport(
        out,
        organisation,
        plan,
        files,
        messages_sent,
        time.monotonic() - began,
        problems,
        dashboard,
    )


async def show_dashboard(
    bot: DemoBot,
    supervisor: EmuUser,
    out: Path,
    port: int,
    serve: bool,
    progress: Callable[[str], None],
) -> str | None:
    """The supervisor opens the dashboard from /digest's button, on the quarter: the page is
    served on this machine (and kept served with ``serve``) and written as a snapshot. The
    address to open it at, signed for the supervisor as Telegram signs a launch."""
    app = asgi_app(bot.application, bot.database, bot.settings)
    try:
        return await _open_dashboard(bot, supervisor, out, port, serve, progress, app)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise DemoError(f"port {port} is taken: choose another with --port") from error


async def _open_dashboard(
    bot: DemoBot,
    supervisor: EmuUser,
    out: Path,
    port: int,
    serve: bool,
    progress: Callable[[str], None],
    app: ASGIApp,
) -> str | None:
    async with serving(app, port if serve else 0) as served:
        digest = await bot.send(supervisor, "/digest")
        try:
            button = bot.web_app_of(digest, bot.t("dashboard.open"))
        except ChatError:
            return None
        launch = bot.open_web_app(supervisor, f"{button}?year={YEAR}&quarter=4")
        address = launch.replace(DEMO_PUBLIC_URL, f"http://{LOCAL_HOST}:{port}", 1)
        (out / DASHBOARD_FILE).write_text(
            snapshot(await _dashboard_page(served, launch), LANG, ORGANISATION), encoding="utf-8"
        )
        progress(f"Dashboard written: {DASHBOARD_FILE}")
        if serve:
            progress(f"Serving the dashboard of {SUPERVISOR} until Ctrl+C: {address}")
            await _until_interrupted()
    return address


async def _dashboard_page(served: str, launch: str) -> str:
    """The page the dashboard's script loads for this launch, asked as the script asks."""
    address = urlsplit(launch)
    [init_data] = parse_qs(address.fragment)["tgWebAppData"]
    api = address.path.replace(DASHBOARD_PATH, f"{DASHBOARD_PATH}/api", 1)
    async with httpx.AsyncClient(base_url=served) as client:
        page = await client.get(
            f"{api}?{address.query}", headers={"Authorization": f"tma {init_data}"}
        )
    if page.status_code != 200:
        raise DemoError(f"the dashboard answered {page.status_code}")
    return page.text


async def _until_interrupted() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    try:
        await stop.wait()
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)


async def write_documents(
    bot: DemoBot, out: Path, organisation: DemoOrganisation, plan: QuarterPlan
) -> tuple[dict[str, str], list[str]]:
    """The minutes, then the digest; a missing digest is reported, the minutes still kept."""
    files = {
        DATABASE_FILE: "the demo's database (SQLite)",
        f"{FILE_STORE_DIR}/": "the documents the bot stored, by content hash",
    }
    exported = showcase_minutes(plan)
    minutes = await export_minutes(bot, exported)
    minutes_file = f"bien-ban-{exported.starts_at:%Y-%m-%d}.docx"
    (out / minutes_file).write_bytes(minutes.content)
    files[minutes_file] = f"minutes: {exported.cell.name}, {exported.starts_at:%d/%m/%Y}"
    try:
        chart, workbook = await quarter_digest(bot, organisation.supervisor)
    except DemoError as error:
        return files, [f"the quarter's digest ({error})"]
    (out / CHART_FILE).write_bytes(chart.content)
    (out / WORKBOOK_FILE).write_bytes(workbook.content)
    files[CHART_FILE] = "digest of the quarter: attendance per cell"
    files[WORKBOOK_FILE] = "digest of the quarter: summary, a sheet per cell, members at risk"
    return files, []


def showcase_minutes(plan: QuarterPlan) -> PlannedMeeting:
    """The last month's best-attended regular meeting with minutes: a typical document."""
    recorded = [
        m for m in plan.meetings if m.minutes and m.expected and not m.thematic and not m.late
    ]
    return max(recorded, key=lambda m: (m.starts_at.month, m.present / m.expected))


def demo_command(
    out: Path, quick: bool, serve: bool = False, port: int = DEMO_PORT
) -> tuple[str, int]:
    """For the CLI: quiet logs, a line per stage as it ends, the summary to print, and the
    exit status."""
    configure_logging("WARNING", [DEMO_TOKEN])
    # The demo keeps the dispatcher busy on purpose; APScheduler's note that a poll was
    # skipped meanwhile is noise here.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    report = asyncio.run(
        run_demo(out, quick=quick, progress=partial(print, flush=True), serve=serve, port=port)
    )
    return report.render(), 1 if report.problems else 0
