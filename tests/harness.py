"""The real bot, polling the local Bot API emulator over HTTP, driven as users would."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

import reports.chart
from bot.app import build_application
from bot.demo import ChiboChat, emulated_settings
from bot.settings import Settings
from domain.attendance import RollStatus
from domain.clock import FakeClock
from domain.meetings import MeetingKind, MeetingStatus
from domain.messages import ArgValue, Text
from domain.roles import MemberStatus, Role
from emulator import BotApiEmulator, EmuUser, SentMessage
from emulator.driver import running
from reports.chart import FigureCanvasAgg
from services import outbox
from services.config import ServiceSettings
from services.onboarding import create_organisation
from services.people import Caller
from services.request import Files, Request
from storage import models
from storage.db import Database
from storage.files import FileStore
from storage.models import Base

TOKEN = "123456:TEST-TOKEN-do-not-log-me"
BOT_USERNAME = "chibo_test_bot"
SETTLE_TIMEOUT = 10.0
EVENTUALLY_TIMEOUT = 60.0


@dataclass
class RunningBot(ChiboChat):
    """The real application polling the emulator (tests/conftest.py's ``bot``)."""

    settle_timeout = SETTLE_TIMEOUT

    def t(self, lang: str, key: str, **args: ArgValue) -> str:
        """What the bot says for a catalogue key, to compare with what a user saw."""
        return self.translator.text(lang, key, **args)

    @contextmanager
    def dispatcher_down(self) -> Iterator[None]:
        """Nothing queued is sent meanwhile, as if every dispatcher were stopped."""
        state = self.application.bot_data["chibo"]
        job_queue = self.application.job_queue
        assert job_queue is not None
        [job] = job_queue.get_jobs_by_name("outbox-dispatch")
        wake, state.wake_outbox = state.wake_outbox, lambda: None
        job.enabled = self.dispatching = False
        try:
            yield
        finally:
            job.enabled = self.dispatching = True
            state.wake_outbox = wake

    async def rows(self, model: type[Base], *criteria: Any) -> list[Any]:
        async with self.database.transaction() as session:
            return list((await session.scalars(select(model).where(*criteria))).all())


def chibo_settings(
    database: Database, emulator: BotApiEmulator, files_root: Path, **overrides: Any
) -> Settings:
    """The settings of `chibo run` against the emulator, its outbox polled every 0.2 s."""
    return emulated_settings(
        emulator, database, files_root, **{"outbox_poll_seconds": 0.2, **overrides}
    )


# conftest.py's ``bot_with``: running_bot with the test's database, clock, emulator and folder.
BotWith = Callable[..., AbstractAsyncContextManager[RunningBot]]


@asynccontextmanager
async def running_bot(
    database: Database,
    clock: FakeClock,
    emulator: BotApiEmulator,
    files_root: Path,
    **overrides: Any,
) -> AsyncIterator[RunningBot]:
    settings = chibo_settings(database, emulator, files_root, **overrides)
    application = build_application(settings, database, clock)
    # Tests move the clock and run the planner themselves (plan_and_send), so that nothing
    # arrives between a user's action and the test's look at the reply.
    async with running(application, disabled_jobs=("planner",)):
        yield RunningBot(emulator, application, database, clock, settings)


# --- scenario steps shared by the end-to-end tests --------------------------------------

LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=(\S+)")


def link_in(message: SentMessage) -> str:
    found = LINK.search(message.text or "")
    assert found, f"no invite link in {message.text!r}"
    return found.group(0)


def token_of(link: str) -> str:
    return link.split("start=")[1]


def forged_press(bot: RunningBot, user: EmuUser, message: SentMessage, data: str) -> int:
    """``user`` presses ``data`` on ``message`` by a raw update, whatever buttons it shows now:
    forged callback data, or a press sent again after the message changed."""
    return bot.emulator.inject_update(
        {"callback_query": {"from": user.to_api(), "message": message.raw, "data": data}}
    )


async def choose_language(bot: RunningBot, user: EmuUser, lang: str) -> None:
    if lang == "vi":
        return  # the default: nothing to choose
    menu = await bot.send(user, "/lang")
    changed = await bot.press(user, menu, "English")
    assert changed.text == "Language set to English."


async def held_and_minutes_opened(
    bot: RunningBot, secretary: EmuUser, card: SentMessage, start: datetime
) -> SentMessage:
    """Invite from the meeting's ``card``; at ``start`` take the roll with everyone present and
    close it; returns the minutes' editor of that day's meeting."""
    t = bot.t
    await bot.press(secretary, card, t("vi", "meeting.broadcast"))
    bot.clock.set(start)
    roll = await bot.press(
        secretary, await bot.send(secretary, "/attendance"), t("vi", "attendance.open_roll")
    )
    while unmarked := [b for b in roll.button_texts() if b.startswith("❔")]:
        roll = await bot.press(secretary, roll, unmarked[0])
    await bot.press(secretary, roll, t("vi", "roll.close"))
    plan = await bot.send(secretary, "/minutes")
    [label] = [b for b in plan.button_texts() if f"{start:%d/%m}" in b]
    return await bot.press(secretary, plan, label)


async def setup_link(bot: RunningBot, name: str = "Đảng bộ Văn phòng UBND tỉnh") -> str:
    created = await create_organisation(bot.database, name, bot.clock.now())
    return f"https://t.me/{BOT_USERNAME}?start={created.setup_token}"


async def join(
    bot: RunningBot, user: EmuUser, link: str, lang: str, typed_name: str | None = None
) -> SentMessage:
    """Open an invite link as a newcomer and confirm the name (typed, or the suggested one)."""
    await choose_language(bot, user, lang)
    question = await bot.send(user, f"/start {token_of(link)}")
    if typed_name is None:
        return await bot.press(user, question, f"✅ {user.first_name}")
    return await bot.send(user, typed_name)


@dataclass
class Cell:
    supervisor: EmuUser
    secretary: EmuUser
    members: list[EmuUser]
    member_link: str  # the invite link the members joined with


async def cell_with_members(
    bot: RunningBot,
    names: list[str],
    lang: str = "vi",
    first_id: int = 20_000,
    cell_name: str = "Chi bộ Phòng Tổng hợp",
) -> Cell:
    """A supervisor, a cell, its secretary and members, all joined through their links."""
    emu = bot.emulator
    supervisor = emu.user(first_id, "Trần Văn Hùng")
    secretary = emu.user(first_id + 1, "Nguyễn Thị Lan")
    await join(bot, supervisor, await setup_link(bot), lang)
    await join(bot, secretary, link_in(await bot.send(supervisor, f"/newcell {cell_name}")), lang)
    member_link = link_in(await bot.send(secretary, "/invite"))
    members = []
    for offset, name in enumerate(names, start=2):
        member = emu.user(first_id + offset, name)
        await join(bot, member, member_link, lang)
        members.append(member)
    return Cell(supervisor, secretary, members, member_link)


def private_chats(
    emulator: BotApiEmulator, count: int, first_id: int, name: str = "Đảng viên {n}"
) -> list[EmuUser]:
    """``count`` Telegram users, ``first_id`` onwards, each with the bot's private chat open."""
    users = [emulator.user(first_id + n, name.format(n=n)) for n in range(count)]
    for user in users:
        emulator.open_private_chat(user)
    return users


async def queue_to_each(
    database: Database, users: Iterable[EmuUser], key: str, now: datetime
) -> None:
    """One message (status.full) queued to each user under ``<key>:<user id>``, in one
    transaction, as a broadcast queues its rows."""
    async with database.transaction() as session:
        for user in users:
            await outbox.enqueue_message(
                session,
                key=f"{key}:{user.id}",
                chat_id=user.id,
                text=Text("status.full"),
                lang="vi",
                now=now,
            )


def chibo_env(
    emulator: BotApiEmulator, database_url: str | None, **settings: str
) -> dict[str, str]:
    """The environment of a `chibo` process against the emulator (no CHIBO_ variable of the
    caller's); ``database_url`` None: its default database, chibo.db in its folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIBO_")}
    env.update(
        CHIBO_BOT_TOKEN=TOKEN,
        CHIBO_BOT_API_URL=emulator.base_url,
        CHIBO_BOT_API_FILE_URL=emulator.base_file_url,
        **settings,
    )
    if database_url is not None:
        env["CHIBO_DATABASE_URL"] = database_url
    return env


def webhook_env(port: int) -> dict[str, str]:
    """Webhook mode, listening on 127.0.0.1:``port``, the URL Telegram is given."""
    return {
        "CHIBO_WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "CHIBO_WEBHOOK_LISTEN": "127.0.0.1",
        "CHIBO_WEBHOOK_PORT": str(port),
    }


async def chibo_process(
    *args: str,
    cwd: Path,
    env: dict[str, str],
    stdout: int = asyncio.subprocess.PIPE,
    stderr: int = asyncio.subprocess.PIPE,
) -> asyncio.subprocess.Process:
    """`chibo <args>` as a process of its own, in ``cwd``, its output piped unless told."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=cwd, env=env, stdout=stdout, stderr=stderr
    )


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def cells_created_on(bot: RunningBot, moment: datetime) -> None:
    """As if the cells had existed since ``moment``: a quarter's thematic meeting is owed only
    by a cell that existed for most of the quarter."""
    async with bot.database.transaction() as session:
        await session.execute(update(models.Cell).values(created_at=moment))


# --- rows written straight into the database (the digest's tests) ---------------------------


async def add_member(
    session: AsyncSession,
    cell_id: int,
    telegram_user_id: int,
    full_name: str,
    *,
    secretary: bool,
    status: MemberStatus,
    joined_at: datetime,
    created_at: datetime,
) -> int:
    """A person and their membership of the cell; returns the person's id."""
    person = models.Person(
        telegram_user_id=telegram_user_id, full_name=full_name, created_at=created_at
    )
    session.add(person)
    await session.flush()
    session.add(
        models.Membership(
            person_id=person.id,
            cell_id=cell_id,
            role=Role.SECRETARY if secretary else Role.MEMBER,
            status=status,
            joined_at=joined_at,
        )
    )
    return person.id


def meeting_row(
    cell_id: int,
    kind: MeetingKind,
    starts_at: datetime,
    *,
    late: bool,
    created_at: datetime,
    broadcast_at: datetime,
    roll_closed_at: datetime | None,
    minutes_recorded_at: datetime | None,
    status: MeetingStatus = MeetingStatus.SCHEDULED,
) -> models.Meeting:
    """A two-hour meeting in the hall, as scheduling stores it."""
    return models.Meeting(
        cell_id=cell_id,
        kind=kind,
        status=status,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        place="Hội trường",
        late=late,
        version=1,
        created_at=created_at,
        broadcast_at=broadcast_at,
        roll_closed_at=roll_closed_at,
        minutes_recorded_at=minutes_recorded_at,
    )


async def held_meeting(
    session: AsyncSession,
    cell_id: int,
    starts_at: datetime,
    marks: Mapping[int, RollStatus],
    *,
    kind: MeetingKind = MeetingKind.REGULAR,
    late: bool = False,
    minutes_recorded_at: datetime | None = None,
) -> models.Meeting:
    """A meeting planned nine days before ``starts_at`` and held then, its roll closed two
    hours in with each person's mark (by person id)."""
    planned = starts_at - timedelta(days=9)
    meeting = meeting_row(
        cell_id,
        kind,
        starts_at,
        late=late,
        created_at=planned,
        broadcast_at=planned,
        roll_closed_at=starts_at + timedelta(hours=2),
        minutes_recorded_at=minutes_recorded_at,
    )
    session.add(meeting)
    await session.flush()
    session.add_all(
        models.Invitation(
            meeting_id=meeting.id, person_id=person_id, invited_at=planned, roll_status=status
        )
        for person_id, status in marks.items()
    )
    return meeting


def meeting_ahead(
    cell_id: int, starts_at: datetime, now: datetime, kind: MeetingKind = MeetingKind.REGULAR
) -> models.Meeting:
    """A meeting planned ``now`` for ``starts_at``, still ahead."""
    return meeting_row(
        cell_id,
        kind,
        starts_at,
        late=False,
        created_at=now,
        broadcast_at=now,
        roll_closed_at=None,
        minutes_recorded_at=None,
    )


async def add_paper(
    session: AsyncSession,
    meeting_id: int,
    person_id: int,
    *,
    due_at: datetime,
    assigned_at: datetime,
    submitted_at: datetime | None,
    file_name: str,
    now: datetime,
) -> None:
    """A paper assigned, and handed in as a PDF unless ``submitted_at`` is None."""
    assignment = models.PaperAssignment(
        meeting_id=meeting_id,
        person_id=person_id,
        topic="Tham luận",
        due_at=due_at,
        created_at=assigned_at,
    )
    session.add(assignment)
    await session.flush()
    if submitted_at is None:
        return
    stored = models.StoredFile(sha256=f"{assignment.id:064d}", size=10, created_at=now)
    session.add(stored)
    await session.flush()
    session.add(
        models.PaperSubmission(
            assignment_id=assignment.id,
            file_id=stored.id,
            file_name=file_name,
            file_type="pdf",
            submitted_at=submitted_at,
            late=submitted_at > due_at,
        )
    )


async def plan_and_send(bot: RunningBot) -> int:
    """What the planner job does on its tick, then everything it queued is sent."""
    return await bot.run_planner()


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until ``condition`` holds: for effects of another process, with no event to await."""
    async with asyncio.timeout(EVENTUALLY_TIMEOUT):
        while not condition():  # noqa: ASYNC110 - the condition is another process's doing
            await asyncio.sleep(0.02)


async def _nothing_to_download(file_id: str) -> bytes:
    raise AssertionError(f"a use case called directly downloaded {file_id}")


def on_every_chart(
    monkeypatch: pytest.MonkeyPatch, look: Callable[[FigureCanvasAgg], None]
) -> None:
    """``look`` is handed each chart's canvas (reports.chart's) as soon as it is printed."""

    class LookingCanvas(FigureCanvasAgg):
        def print_png(self, *args: Any, **kwargs: Any) -> None:
            super().print_png(*args, **kwargs)
            look(self)

    monkeypatch.setattr(reports.chart, "FigureCanvasAgg", LookingCanvas)


def direct_request(
    database: Database,
    caller: Caller,
    now: datetime,
    settings: ServiceSettings,
    files: Path,
    bot_username: str = "chibo_test_bot",
) -> Request:
    """The request a use case gets when a test calls it directly, without an update: texts
    rendered as their keys, documents stored under ``files`` and never downloaded."""
    return Request(
        database,
        caller,
        now,
        settings,
        bot_username,
        lambda text: text.key,
        Files(_nothing_to_download, FileStore(files), max_bytes=0),
    )
