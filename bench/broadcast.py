"""One broadcast through the outbox, with the emulator enforcing Telegram's 30 messages/s.

    python -m bench.broadcast --members 3000 [--db sqlite|postgresql]

A cell of N members gets one meeting invitation each: N ``sendMessage`` rows with the RSVP
buttons and unique keys of ``services.meetings.invitations.send_invitations`` (``--source service``
runs that very function instead, which adds a calendar file per member: 2N messages). The real
Application (bot/app.py: its ExtBot paced by bot/pacing.py, its OutboxDispatcher, its
outbox-dispatch job) is started against the emulator with ``emu.rate_limit(30)``; the
broadcast's transaction is committed, the dispatcher woken as the handler wakes it, and the
clock runs until the emulator has accepted every message.

``seconds`` runs from the wake-up to the last accepted message; ``floor_seconds`` is
messages / 30, the best Telegram allows. ``duplicates`` are members with more messages than
sent to them, ``lost`` members with fewer; ``http_429`` counts the emulator's refusals.
``--limiter ptb-default`` measures the limiter used before; ``--batch-size`` and
``--parallel`` prototype dispatcher settings (see README).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from telegram.ext import BaseRateLimiter

from bench.common import (
    bench_emulator,
    bench_parser,
    bench_settings,
    emit_json,
    print_machine,
    print_table,
    progress,
    ptb_default_limiter,
    regular_meeting,
    running_application,
    scratch_database,
    seed_cell,
)
from bot.app import ChiboApplication
from domain.clock import SystemClock
from emulator import BotApiEmulator
from handlers.common import STATE_KEY, AppState
from scheduler import jobs
from scheduler.dispatcher import OutboxDispatcher
from services import outbox
from services.meetings import agenda, invitations
from services.meetings.common import OfMeeting
from services.people import Caller
from services.request import Files, Request
from storage.db import Database
from storage.models import Cell, Invitation, Meeting, Membership, OutboxMessage, Person

FIRST_USER_ID = 700_000
TELEGRAM_PER_SECOND = 30


@dataclass
class Seeded:
    meeting_id: int
    secretary: Caller
    chats: list[int]


async def seed(database: Database, emulator: BotApiEmulator, members: int) -> Seeded:
    """A cell of ``members`` (the first its secretary) and a meeting not yet broadcast."""
    now = SystemClock().now()
    async with database.transaction() as session:
        seeded = await seed_cell(session, emulator, members, FIRST_USER_ID, now)
        meeting = regular_meeting(seeded.cell, now + timedelta(days=20), now)
        session.add(meeting)
        await session.flush()
    chats = [user.id for user, _ in seeded.members]
    secretary = Caller(
        telegram_user_id=chats[0],
        chat_id=chats[0],
        telegram_name=seeded.members[0][0].first_name,
        private_chat=True,
    )
    return Seeded(meeting.id, secretary, chats)


async def enqueue_rows(database: Database, seeded: Seeded) -> int:
    """What ``services.meetings.invitations.send_invitations`` writes for each member, without
    the calendar file: the invitation, its RSVP buttons, one outbox row under the broadcast's
    key."""
    now = SystemClock().now()
    async with database.transaction() as session:
        meeting = await session.get(Meeting, seeded.meeting_id)
        assert meeting is not None
        cell = await session.get(Cell, meeting.cell_id)
        assert cell is not None
        members = await session.execute(
            select(Person.id, Person.telegram_user_id, Person.language)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.cell_id == cell.id, Membership.left_at.is_(None))
        )
        text = invitations.invitation_text(
            meeting, cell.name, await agenda.agenda_lines(session, meeting.id)
        )
        count = 0
        for person_id, telegram_user_id, language in members:
            session.add(Invitation(meeting_id=meeting.id, person_id=person_id, invited_at=now))
            await outbox.enqueue_message(
                session,
                key=f"invite:{meeting.id}:{meeting.version}:{person_id}",
                chat_id=telegram_user_id,
                text=text,
                lang=language or "vi",
                now=now,
                buttons=await invitations.rsvp_buttons(session, meeting.id, telegram_user_id, now),
            )
            count += 1
        meeting.broadcast_at = now
    return count


async def _no_download(file_id: str) -> bytes:
    raise AssertionError(f"a broadcast downloaded {file_id}")


async def enqueue_service(state: AppState, seeded: Seeded) -> int:
    """The secretary's broadcast, as the "send invitations" button runs it."""
    request = Request(
        state.database,
        seeded.secretary,
        SystemClock().now(),
        state.settings,
        "chibo_bench_bot",
        lambda text: text.key,
        Files(_no_download, state.files, state.max_file_bytes),
    )
    await invitations.send_invitations(request, OfMeeting(seeded.meeting_id))
    async with state.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def _prototype_dispatcher(
    application: ChiboApplication, database: Database, batch_size: int, parallel: int
) -> None:
    """Give the application a dispatcher with other batch/parallel settings (a prototype)."""
    product: OutboxDispatcher = application.bot_data["dispatcher"]
    replacement = OutboxDispatcher(
        database,
        application.bot,
        product._render,  # the product's renderer
        product._clock,
        batch_size=batch_size,
        parallel=parallel,
    )
    application.bot_data["dispatcher"] = replacement
    assert application.job_queue is not None
    for job in application.job_queue.get_jobs_by_name("outbox-dispatch"):
        job.data = replacement
    state: AppState = application.bot_data[STATE_KEY]

    def wake() -> None:
        assert application.job_queue is not None
        jobs.wake_dispatcher(application.job_queue, replacement)

    state.wake_outbox = wake


@dataclass
class Outcome:
    messages: int
    enqueue_seconds: float
    seconds: float
    settled_seconds: float
    duplicates: int
    lost: int
    http_429: int
    statuses: dict[str, int]
    peak_per_second: int
    retried_rows: int
    gaps: Gaps
    cpu_seconds: float


@dataclass
class Gaps:
    """Where the time above 1/30 s per message went, from the accepted sends' timestamps."""

    median_ms: float
    p99_ms: float
    longest_ms: float
    over_100ms: int
    # The time spent in gaps longer than 100 ms beyond the pace's own spacing.
    lost_in_long_gaps: float


def _gaps(times: list[float], pace_seconds: float) -> Gaps:
    spacings = sorted(b - a for a, b in itertools.pairwise(times)) or [0.0]
    long = [gap for gap in spacings if gap > 0.1]
    return Gaps(
        median_ms=1000 * spacings[len(spacings) // 2],
        p99_ms=1000 * spacings[min(len(spacings) - 1, len(spacings) * 99 // 100)],
        longest_ms=1000 * spacings[-1],
        over_100ms=len(long),
        lost_in_long_gaps=sum(gap - pace_seconds for gap in long),
    )


def _peak_window(times: list[float], window: float = 1.0) -> int:
    """The most sends accepted within any ``window`` seconds."""
    best = start = 0
    for end in range(len(times)):
        while times[end] - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def measure(
    args: argparse.Namespace,
    emulator: BotApiEmulator,
    database: Database,
    limiter: BaseRateLimiter | None,
) -> Outcome:
    progress(f"seeding {args.members} members ({args.db})")
    seeded = await seed(database, emulator, args.members)
    with tempfile.TemporaryDirectory(prefix="chibo-bench-files-") as files:
        settings = bench_settings(emulator, database, Path(files))
        async with running_application(
            settings, database, SystemClock(), polling=False, limiter=limiter
        ) as application:
            if args.batch_size is not None or args.parallel is not None:
                _prototype_dispatcher(
                    application, database, args.batch_size or 20, args.parallel or 8
                )
            emulator.rate_limit(global_per_second=TELEGRAM_PER_SECOND)
            emulator.clear_calls()
            progress(f"enqueueing the broadcast ({args.source})")
            began = time.perf_counter()
            state: AppState = application.bot_data[STATE_KEY]
            if args.source == "service":
                messages = await enqueue_service(state, seeded)
            else:
                messages = await enqueue_rows(database, seeded)
            enqueue_seconds = time.perf_counter() - began
            progress(f"sending {messages} messages (floor {messages / 30:.0f} s)")
            started = emulator.clock()
            cpu_began = time.process_time()
            state.wake_outbox()
            deadline = time.monotonic() + 3 * messages / TELEGRAM_PER_SECOND + 120
            accepted: list[float] = []
            seen = 0
            while len(accepted) < messages and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                calls = emulator.calls()
                for call in calls[seen:]:
                    if call.ok and call.method in ("sendMessage", "sendDocument"):
                        accepted.append(call.at)
                seen = len(calls)
            seconds = (max(accepted) if accepted else emulator.clock()) - started
            cpu_seconds = time.process_time() - cpu_began
            # The dispatcher marks a row sent after Telegram accepted it.
            while time.monotonic() < deadline:
                async with database.transaction() as session:
                    left = await session.scalar(
                        select(func.count()).where(
                            OutboxMessage.status.in_([outbox.PENDING, outbox.SENDING])
                        )
                    )
                if not left:
                    break
                await asyncio.sleep(0.1)
            settled_seconds = emulator.clock() - started
    async with database.transaction() as session:
        statuses: dict[str, int] = {
            status: count
            for status, count in await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
        }
        retried = int(
            await session.scalar(select(func.count()).where(OutboxMessage.attempts > 1)) or 0
        )
    per_member = messages // len(seeded.chats)
    received = Counter({chat: len(emulator.messages(chat)) for chat in seeded.chats})
    return Outcome(
        messages=messages,
        enqueue_seconds=enqueue_seconds,
        seconds=seconds,
        settled_seconds=settled_seconds,
        duplicates=sum(1 for n in received.values() if n > per_member),
        lost=sum(1 for n in received.values() if n < per_member),
        http_429=emulator.http_429_count,
        statuses=statuses,
        peak_per_second=_peak_window(sorted(accepted)),
        retried_rows=retried,
        gaps=_gaps(sorted(accepted), 1 / TELEGRAM_PER_SECOND),
        cpu_seconds=cpu_seconds,
    )


async def main(args: argparse.Namespace) -> dict[str, Any]:
    # PTB logs a traceback for every 429 it passes on (max_retries=0); the count is reported.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    limiter = ptb_default_limiter() if args.limiter == "ptb-default" else None
    async with bench_emulator() as emulator, scratch_database(args.db) as database:
        outcome = await measure(args, emulator, database, limiter)
    floor = outcome.messages / TELEGRAM_PER_SECOND
    ratio = outcome.seconds / floor
    print_machine()
    dispatcher = f"batch_size={args.batch_size or 20}, parallel={args.parallel or 8}" + (
        "" if args.batch_size or args.parallel else " (the product's)"
    )
    print(
        f"database: {args.db}; source: {args.source}; limiter: {args.limiter}"
        + f"; dispatcher: {dispatcher}"
    )
    print_table(
        f"One broadcast to {args.members} members, emulator limit {TELEGRAM_PER_SECOND}/s",
        ("figure", "value"),
        [
            ("messages", outcome.messages),
            ("enqueue (the broadcast's transaction), s", outcome.enqueue_seconds),
            ("seconds, wake-up to last message accepted", outcome.seconds),
            ("floor_seconds (messages / 30)", floor),
            ("ratio_to_floor (goal <= 1.10)", ratio),
            ("achieved messages/s", outcome.messages / outcome.seconds),
            ("most messages accepted within 1 s", outcome.peak_per_second),
            ("CPU seconds of this process while sending", outcome.cpu_seconds),
            ("gap between accepted sends: median, ms", outcome.gaps.median_ms),
            ("gap between accepted sends: 99th percentile, ms", outcome.gaps.p99_ms),
            ("gap between accepted sends: longest, ms", outcome.gaps.longest_ms),
            ("gaps over 100 ms", outcome.gaps.over_100ms),
            ("s lost in gaps over 100 ms (beyond 1/30 s)", outcome.gaps.lost_in_long_gaps),
            ("seconds until every row is marked sent", outcome.settled_seconds),
            ("http_429 (goal 0)", outcome.http_429),
            ("rows attempted more than once (a 429, then retried)", outcome.retried_rows),
            ("duplicates (goal 0)", outcome.duplicates),
            ("lost (goal 0)", outcome.lost),
            ("outbox rows by status", ", ".join(f"{k}={v}" for k, v in outcome.statuses.items())),
        ],
    )
    return {
        "db": args.db,
        "members": args.members,
        "messages": outcome.messages,
        "seconds": round(outcome.seconds, 2),
        "floor_seconds": round(floor, 2),
        "ratio_to_floor": round(ratio, 3),
        "duplicates": outcome.duplicates,
        "lost": outcome.lost,
        "http_429": outcome.http_429,
        "cpu_seconds": round(outcome.cpu_seconds, 1),
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = bench_parser("broadcast", __doc__)
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument(
        "--source",
        choices=("rows", "service"),
        default="rows",
        help="rows: one invitation message per member; service: "
        "services.meetings.invitations.send_invitations itself (invitation and calendar file, "
        "2 messages per member)",
    )
    parser.add_argument(
        "--limiter",
        choices=("product", "ptb-default"),
        default="product",
        help="product: bot/pacing.py's SendingRateLimiter; ptb-default: PTB's "
        "AIORateLimiter(max_retries=0), the limiter before it",
    )
    parser.add_argument("--batch-size", type=int, default=None, help="prototype dispatcher")
    parser.add_argument("--parallel", type=int, default=None, help="prototype dispatcher")
    return parser.parse_args(argv)


if __name__ == "__main__":
    emit_json(asyncio.run(main(parse())))
