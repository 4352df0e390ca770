"""RSVP button presses through the real Application, against a bare PTB Application.

    python -m bench.updates [--db sqlite|postgresql] [--presses N]

Members of one cell get two invitations (meetings A and B) through the real outbox, as a
broadcast sends them. Then, in one run against the same emulator, over HTTP long polling:

1. a bare PTB Application (no database; its CallbackQueryHandler only calls ``answer()``)
   gets a burst of N presses on the A invitations: ``bare_ptb_updates_per_s``;
2. the minimal replica-safe application gets the very same burst: the bare one plus the
   least any bot that runs as several replicas must do per press (one transaction on chibo's
   engine recording the ``update_id`` with INSERT … ON CONFLICT DO NOTHING and upserting the
   answer, through SQLAlchemy Core; then ``answerCallbackQuery`` and ``editMessageText``
   together): ``minimal_updates_per_s``;
3. the real Application (``bot.app.build_application``) gets the very same burst:
   ``updates_per_s``, and the latency of each press under that burst;
4. the real Application gets N presses on the B invitations, spread evenly at a fraction
   (``--paced-share``, default 0.5) of the rate it reached in the burst: ``p50_ms`` and
   ``p95_ms``, from the press entering the emulator to its handler finishing.

Steps 1–3 take turns in rounds (``--rounds``, default 3), a share of the burst each, each
application started afresh and warmed up in every round; each one's figures are the sum of
its rounds, so that a shared machine's drifting load weighs on the three alike.

A quarter of the members press "absent" (the bot then asks for a reason), the rest "attend".
The run is on the product's event loop (``bot.app.run_on_event_loop``: uvloop). The three
applications run with the same ``concurrent_updates``: the product's default unless
``--concurrent-updates`` says otherwise. The last line of the output is the JSON result.

``--limiter ptb-default`` measures the rate limiter used before bot/pacing.py;
``--breakdown`` times each step of a press during the real burst.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    ContextTypes,
)

from bench.common import (
    TOKEN,
    bench_emulator,
    bench_parser,
    bench_settings,
    emit_json,
    percentile,
    print_machine,
    print_table,
    progress,
    ptb_default_limiter,
    regular_meeting,
    running_application,
    scratch_database,
    seed_cell,
)
from bot.app import run_on_event_loop
from bot.settings import Settings
from domain.clock import SystemClock
from domain.meetings import Response
from emulator import BotApiEmulator, EmuUser, SentMessage
from emulator.driver import Finishes, running
from handlers import common as common_handlers
from services import outbox, routes
from services import updates as updates_service
from services.meetings.agenda import agenda_lines
from services.meetings.invitations import invitation_text, rsvp_buttons
from storage.db import Database
from storage.models import Invitation, OutboxMessage
from storage.queries.updates import claim_update

FIRST_USER_ID = 500_000
WARMUP_PRESSES = 20
ABSENT_EVERY = 4  # one member in four answers "absent"


@dataclass
class Member:
    person_id: int
    user: EmuUser
    # meeting id -> (attend token, absent token)
    tokens: dict[int, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Press:
    user: EmuUser
    message: SentMessage
    data: str
    attend: bool


@dataclass
class Phase:
    name: str
    presses: int
    seconds: float
    latencies_ms: list[float]
    answered: int
    alerts: int
    cpu_seconds: float

    @classmethod
    def merged(cls, name: str, rounds: list[Phase]) -> Phase:
        """The rounds of one application as one phase: presses over the time they took."""
        return cls(
            name=name,
            presses=sum(r.presses for r in rounds),
            seconds=sum(r.seconds for r in rounds),
            latencies_ms=[ms for r in rounds for ms in r.latencies_ms],
            answered=sum(r.answered for r in rounds),
            alerts=sum(r.alerts for r in rounds),
            cpu_seconds=sum(r.cpu_seconds for r in rounds),
        )

    @property
    def cpu_ms_per_press(self) -> float:
        return 1000 * self.cpu_seconds / self.presses if self.presses else float("nan")

    @property
    def per_second(self) -> float:
        return self.presses / self.seconds if self.seconds else float("nan")


# --- seeding -----------------------------------------------------------------------------------


async def seed(
    database: Database, emulator: BotApiEmulator, count: int
) -> tuple[list[Member], list[int]]:
    """One cell of ``count`` members and two broadcast meetings, written through services'
    building blocks (the invitation text and RSVP buttons of ``services.meetings``)."""
    now = SystemClock().now()
    async with database.transaction() as session:
        seeded = await seed_cell(session, emulator, count, FIRST_USER_ID, now)
        cell = seeded.cell
        meetings = [
            regular_meeting(cell, now + timedelta(days=days), now, broadcast_at=now)
            for days in (20, 21)
        ]
        session.add_all(meetings)
        await session.flush()
        members = [Member(person_id, user) for user, person_id in seeded.members]
        for meeting in meetings:
            text = invitation_text(meeting, cell.name, await agenda_lines(session, meeting.id))
            for member in members:
                session.add(
                    Invitation(meeting_id=meeting.id, person_id=member.person_id, invited_at=now)
                )
                buttons = await rsvp_buttons(session, meeting.id, member.user.id, now)
                [(attend, absent)] = buttons
                assert attend.action is not None and absent.action is not None
                member.tokens[meeting.id] = (attend.action, absent.action)
                await outbox.enqueue_message(
                    session,
                    key=f"invite:{meeting.id}:{meeting.version}:{member.person_id}",
                    chat_id=member.user.id,
                    text=text,
                    lang="vi",
                    now=now,
                    buttons=buttons,
                )
    return members, [meeting.id for meeting in meetings]


def shares(presses: list[Press], rounds: int) -> list[list[Press]]:
    """``presses`` in ``rounds`` runs of consecutive presses, as even as they divide."""
    size, extra = divmod(len(presses), rounds)
    bounds = [number * size + min(number, extra) for number in range(rounds + 1)]
    return [presses[start:end] for start, end in pairwise(bounds)]


def presses_for(emulator: BotApiEmulator, members: list[Member], meeting_id: int) -> list[Press]:
    """Each member presses attend (or, one in four, absent) on that meeting's invitation."""
    found = []
    for number, member in enumerate(members):
        attend, absent = member.tokens[meeting_id]
        attending = number % ABSENT_EVERY != ABSENT_EVERY - 1
        data = attend if attending else absent
        message = next(
            m
            for m in emulator.messages(member.user.id)
            if any(d == data for row in m.buttons() for _, d in row)
        )
        found.append(Press(member.user, message, data, attending))
    return found


# --- timing updates ----------------------------------------------------------------------------


async def burst(
    name: str, emulator: BotApiEmulator, finishes: Finishes, presses: list[Press]
) -> Phase:
    """All presses at once; throughput is presses over the time until the last one is done.

    The three applications share this process's heap (the seeded members, the emulator's
    messages, each one's modules), which the collector's full passes walk (0.1-0.2 s each):
    whichever burst one landed in paid for the others' objects. During a burst the heap as
    it stood is out of the collector's sight, so each pays for the garbage of its own presses
    alone, as in a process of its own."""
    with heap_out_of_sight():
        injected: dict[int, float] = {}
        cpu = time.process_time()
        started = time.perf_counter()
        for press in presses:
            update_id = emulator.press_button(press.user, press.message, callback_data=press.data)
            injected[update_id] = time.perf_counter()
        await finishes.wait(injected, timeout=600)
        return _phase(name, emulator, finishes, injected, started, time.process_time() - cpu)


@contextmanager
def heap_out_of_sight() -> Iterator[None]:
    """The heap as it stands, out of the collector's sight meanwhile. Within an application
    that froze its own heap (bot.app.startup_heap_frozen), it stays frozen until that one
    ends, since a freeze is not nested."""
    gc.collect()
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()


async def paced(
    name: str, emulator: BotApiEmulator, finishes: Finishes, presses: list[Press], rate: float
) -> Phase:
    """Presses arriving evenly at ``rate`` per second, whatever the bot's pace (open loop)."""
    injected: dict[int, float] = {}
    loop = asyncio.get_running_loop()
    cpu = time.process_time()
    started = time.perf_counter()
    first = loop.time()
    for number, press in enumerate(presses):
        delay = first + number / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        update_id = emulator.press_button(press.user, press.message, callback_data=press.data)
        injected[update_id] = time.perf_counter()
    await finishes.wait(injected, timeout=600)
    return _phase(name, emulator, finishes, injected, started, time.process_time() - cpu)


def _phase(
    name: str,
    emulator: BotApiEmulator,
    finishes: Finishes,
    injected: dict[int, float],
    started: float,
    cpu_seconds: float,
) -> Phase:
    ended = max(finishes.at[u] for u in injected)
    answers = [emulator.callback_answer(u) for u in injected]
    return Phase(
        name=name,
        presses=len(injected),
        seconds=ended - started,
        latencies_ms=[(finishes.at[u] - at) * 1000 for u, at in injected.items()],
        answered=sum(1 for a in answers if a is not None),
        alerts=sum(1 for a in answers if a is not None and a.get("show_alert")),
        cpu_seconds=cpu_seconds,
    )


# --- where the time goes ----------------------------------------------------------------------

# (where, name, label): the steps of one press. ``where`` is a module whose attribute the code
# that calls it looks up at each call, so wrapping the attribute times every call; or the
# registry of button routes (services/routes.py), where a use case is reached by its kind.
STEPS: tuple[tuple[Any, str, str], ...] = (
    (updates_service, "admit", "admit: claim update_id (held), language, button: 1 statement"),
    (routes.BUTTONS, "rsvp", "rsvp.respond: read, record, commit with the claim"),
    (common_handlers, "send_reply", "send_reply: answerCallbackQuery + editMessageText"),
    (outbox, "claim_due", "after the handler: outbox claim (write)"),
)


class Breakdown:
    """Times the steps of each press (only while ``recording``)."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {label: [] for _, _, label in STEPS}
        self.recording = False
        self._originals: list[tuple[Any, str, Any]] = []

    def install(self) -> None:
        routes.discover()
        for where, name, label in STEPS:
            if isinstance(where, dict):
                route = where[name]
                self._originals.append((where, name, route))
                where[name] = replace(route, use_case=self._timed(route.use_case, label))
            else:
                original = getattr(where, name)
                self._originals.append((where, name, original))
                setattr(where, name, self._timed(original, label))

    def uninstall(self) -> None:
        for where, name, original in self._originals:
            if isinstance(where, dict):
                where[name] = original
            else:
                setattr(where, name, original)
        self._originals.clear()

    def show(self, loaded: Phase) -> None:
        """The table of the steps, against the real burst's wall time per press."""
        per_press = 1000 / loaded.per_second
        print_table(
            f"Where a press's time goes (real burst; {per_press:.1f} ms of wall time per press)",
            ("step", "calls", "mean ms", "p50 ms", "p95 ms", "ms per press"),
            [
                (
                    label,
                    len(ms),
                    sum(ms) / len(ms) if ms else float("nan"),
                    percentile(ms, 50),
                    percentile(ms, 95),
                    sum(ms) / loaded.presses,
                )
                for label, ms in self.ms.items()
            ],
        )

    def _timed(
        self, function: Callable[..., Awaitable[Any]], label: str
    ) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                if self.recording:
                    self.ms[label].append((time.perf_counter() - started) * 1000)

        return timed


# --- the two applications ----------------------------------------------------------------------


async def deliver_invitations(
    emulator: BotApiEmulator, database: Database, settings: Settings
) -> None:
    # Unpaced: the invitations are the set-up, not the measurement.
    unpaced = AIORateLimiter(overall_max_rate=0, group_max_rate=0)
    async with running_application(
        settings, database, SystemClock(), polling=False, limiter=unpaced
    ) as app:
        await app.bot_data["dispatcher"].drain()
    async with database.transaction() as session:
        unsent = await session.scalar(
            select(func.count()).where(OutboxMessage.status != outbox.SENT)
        )
    if unsent:
        raise SystemExit(f"{unsent} invitations were not delivered")


PressHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


async def bare_burst(
    name: str,
    emulator: BotApiEmulator,
    concurrency: int,
    on_press: PressHandler,
    warmup: list[Press],
    presses: list[Press],
) -> Phase:
    """A bare PTB Application whose one handler, ``on_press``, takes every press: the burst."""
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .concurrent_updates(concurrency)
        .build()
    )
    application.add_handler(CallbackQueryHandler(on_press))
    finishes = Finishes(application)
    async with running(application):
        await burst("warm-up", emulator, finishes, warmup)
        return await burst(name, emulator, finishes, presses)


async def run_bare(
    emulator: BotApiEmulator, concurrency: int, warmup: list[Press], presses: list[Press]
) -> Phase:
    async def answer_only(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()

    return await bare_burst("bare PTB, burst", emulator, concurrency, answer_only, warmup, presses)


Answers = dict[str, tuple[int, int, Response]]


def answers_of(members: list[Member]) -> Answers:
    """What each button's callback data answers, (meeting, person, response): the minimal
    application knows it without a lookup, as a floor should."""
    return {
        token: (meeting_id, member.person_id, response)
        for member in members
        for meeting_id, (attend, absent) in member.tokens.items()
        for token, response in ((attend, Response.ATTEND), (absent, Response.ABSENT))
    }


async def run_minimal(
    emulator: BotApiEmulator,
    database: Database,
    concurrency: int,
    answers: Answers,
    warmup: list[Press],
    presses: list[Press],
) -> Phase:
    """The bare application plus the least a replica-safe bot does per press: one
    transaction on chibo's engine (the ``update_id`` recorded unless some replica has it,
    the answer upserted), then the answer and the edit at once."""
    dialect = postgresql if database.is_postgresql else sqlite
    # Built once, as a bot written for speed would (and as chibo's claim of the update_id
    # is): only the parameters change per press.
    answer = dialect.insert(Invitation).values(
        meeting_id=bindparam("meeting_id"),
        person_id=bindparam("person_id"),
        invited_at=bindparam("now"),
        response=bindparam("response"),
        responded_at=bindparam("now"),
    )
    answer = answer.on_conflict_do_update(
        index_elements=["meeting_id", "person_id"],
        set_={"response": answer.excluded.response, "responded_at": answer.excluded.responded_at},
    )

    async def record_and_edit(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None and query.message is not None
        meeting_id, person_id, response = answers[query.data]
        now = SystemClock().now()
        async with database.engine.begin() as connection:
            if not await claim_update(connection, update.update_id, now):
                return
            row = {"meeting_id": meeting_id, "person_id": person_id, "response": response}
            await connection.execute(answer, {**row, "now": now})
        # The same buttons, so that chibo's run presses them again.
        markup = query.message.reply_markup if isinstance(query.message, Message) else None
        try:
            await asyncio.gather(
                query.answer(), query.edit_message_text(f"{response.value}", reply_markup=markup)
            )
        except BadRequest as error:
            # The warm-up, pressed again at each round, leads to the same screen.
            if "not modified" not in error.message.lower():
                raise

    return await bare_burst(
        "minimal, burst", emulator, concurrency, record_and_edit, warmup, presses
    )


async def run_real(
    emulator: BotApiEmulator,
    database: Database,
    settings: Settings,
    limiter: BaseRateLimiter | None,
    warmup: list[Press],
    measure: Callable[[Finishes], Awaitable[Phase]],
) -> Phase:
    """The real Application, warmed up, then measured by ``measure``."""
    async with running_application(
        settings, database, SystemClock(), polling=True, limiter=limiter
    ) as app:
        finishes = Finishes(app)
        await burst("warm-up", emulator, finishes, warmup)
        return await measure(finishes)


async def real_burst(
    emulator: BotApiEmulator,
    finishes: Finishes,
    presses: list[Press],
    breakdown: Breakdown | None,
) -> Phase:
    progress(f"real Application: burst of {len(presses)} presses")
    if breakdown is not None:
        breakdown.recording = True
    try:
        return await burst("chibo, burst", emulator, finishes, presses)
    finally:
        if breakdown is not None:
            breakdown.recording = False


async def real_paced(
    emulator: BotApiEmulator, finishes: Finishes, presses: list[Press], rate: float
) -> Phase:
    progress(f"real Application: {len(presses)} presses at {rate:.1f}/s")
    return await paced(f"chibo, paced at {rate:.0f}/s", emulator, finishes, presses, rate)


async def stored_attends(database: Database, meeting_ids: list[int]) -> int:
    """How many invitations got an answer recorded (attend, or absent awaiting a reason)."""
    async with database.transaction() as session:
        attended = await session.scalar(
            select(func.count()).where(
                Invitation.meeting_id.in_(meeting_ids), Invitation.response == Response.ATTEND
            )
        )
    return int(attended or 0)


def print_phases(args: argparse.Namespace, concurrency: int, phases: tuple[Phase, ...]) -> None:
    print_machine()
    print(
        f"database: {args.db}; concurrent_updates: {concurrency}; limiter: {args.limiter}; "
        f"presses per phase: {args.presses} "
        f"(+{WARMUP_PRESSES} warm-up); 1 in {ABSENT_EVERY} presses 'absent'"
    )
    print_table(
        "Button presses, from entering the emulator to the handler finishing",
        (
            "phase",
            "presses",
            "seconds",
            "updates/s",
            "p50 ms",
            "p95 ms",
            "max ms",
            "CPU ms/press",
            "answered",
            "alerts",
        ),
        [
            (
                p.name,
                p.presses,
                p.seconds,
                p.per_second,
                percentile(p.latencies_ms, 50),
                percentile(p.latencies_ms, 95),
                max(p.latencies_ms),
                p.cpu_ms_per_press,
                p.answered,
                p.alerts,
            )
            for p in phases
        ],
    )


# --- main --------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> dict[str, Any]:
    concurrency = args.concurrent_updates or Settings.model_fields["concurrent_updates"].default
    members_count = args.presses + WARMUP_PRESSES
    breakdown = Breakdown() if args.breakdown else None
    if breakdown is not None:
        breakdown.install()
    async with bench_emulator() as emulator, scratch_database(args.db) as database:
        with tempfile.TemporaryDirectory(prefix="chibo-bench-files-") as files:
            settings = bench_settings(
                emulator, database, Path(files), concurrent_updates=concurrency
            )
            progress(f"seeding {members_count} members and two broadcast meetings ({args.db})")
            members, (meeting_a, meeting_b) = await seed(database, emulator, members_count)
            await deliver_invitations(emulator, database, settings)
            warm, counted = members[:WARMUP_PRESSES], members[WARMUP_PRESSES:]
            warm_a = presses_for(emulator, warm, meeting_a)
            burst_a = presses_for(emulator, counted, meeting_a)
            paced_b = presses_for(emulator, counted, meeting_b)
            # The three applications take turns, a share of the presses each round, so that
            # a shared machine's load, which drifts within a minute, weighs on all three alike.
            limiter = ptb_default_limiter() if args.limiter == "ptb-default" else None
            # The warm-up is pressed again at each round's start. The real application's
            # answer to "absent" is a menu of reasons in place of the buttons, which could
            # not be pressed again: it warms up on the "attend" presses.
            warm_real = [press for press in warm_a if press.attend]
            rounds: list[tuple[Phase, Phase, Phase]] = []
            for number, presses in enumerate(shares(burst_a, args.rounds)):
                progress(f"round {number + 1} of {args.rounds}: {len(presses)} presses each")
                bare = await run_bare(emulator, concurrency, warm_a, presses)
                minimal = await run_minimal(
                    emulator, database, concurrency, answers_of(members), warm_a, presses
                )
                loaded = await run_real(
                    emulator,
                    database,
                    settings,
                    limiter,
                    warm_real,
                    partial(real_burst, emulator, presses=presses, breakdown=breakdown),
                )
                rounds.append((bare, minimal, loaded))
                progress(
                    " ".join(
                        f"{p.name}: {p.per_second:.0f}/s {p.cpu_ms_per_press:.2f} ms"
                        for p in (bare, minimal, loaded)
                    )
                )
            bare, minimal, loaded = (
                Phase.merged(name, [phases[index] for phases in rounds])
                for index, name in enumerate(("bare PTB, burst", "minimal, burst", "chibo, burst"))
            )
            rate = max(1.0, loaded.per_second * args.paced_share)
            spread = await run_real(
                emulator,
                database,
                settings,
                limiter,
                warm_real,
                partial(real_paced, emulator, presses=paced_b, rate=rate),
            )
            attended = await stored_attends(database, [meeting_a, meeting_b])
    expected_attend = sum(press.attend for press in (*warm_a, *burst_a, *paced_b))
    print_phases(args, concurrency, (bare, minimal, loaded, spread))
    if breakdown is not None:
        breakdown.uninstall()
        breakdown.show(loaded)
    ratio = loaded.per_second / bare.per_second
    ratio_to_minimal = loaded.per_second / minimal.per_second
    cpu_ratio = loaded.cpu_ms_per_press / bare.cpu_ms_per_press
    print(
        f"\nattend answers stored: {attended} of {expected_attend} expected; "
        f"ratio chibo/minimal: {ratio_to_minimal:.3f} (goal >= 0.75); "
        f"ratio chibo/bare: {ratio:.3f}; CPU per press, chibo/bare: {cpu_ratio:.1f}x"
    )
    return {
        "db": args.db,
        "presses": args.presses,
        "updates_per_s": round(loaded.per_second, 1),
        "p50_ms": round(percentile(spread.latencies_ms, 50), 1),
        "p95_ms": round(percentile(spread.latencies_ms, 95), 1),
        "bare_ptb_updates_per_s": round(bare.per_second, 1),
        "minimal_updates_per_s": round(minimal.per_second, 1),
        "ratio": round(ratio, 3),
        "ratio_to_minimal": round(ratio_to_minimal, 3),
        "cpu_ratio": round(cpu_ratio, 2),
        "cpu_ms_per_press": round(loaded.cpu_ms_per_press, 2),
        "minimal_cpu_ms_per_press": round(minimal.cpu_ms_per_press, 2),
        "bare_cpu_ms_per_press": round(bare.cpu_ms_per_press, 2),
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = bench_parser("updates", __doc__)
    parser.add_argument("--presses", type=int, default=600, help="presses per phase")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the bursts' presses are shared out in this many rounds, in each of which the "
        "bare, the minimal and the real application take their share in turn",
    )
    parser.add_argument(
        "--concurrent-updates",
        type=int,
        default=None,
        help="updates handled at once, by all three applications (default: the product's, "
        "CHIBO_CONCURRENT_UPDATES' default)",
    )
    parser.add_argument(
        "--limiter",
        choices=("product", "ptb-default"),
        default="product",
        help="product: bot/pacing.py's SendingRateLimiter (message-sending methods only); "
        "ptb-default: PTB's AIORateLimiter on every request, the limiter before it",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time each step of a press during the real burst (adds a little overhead)",
    )
    parser.add_argument(
        "--paced-share",
        type=float,
        default=0.5,
        help="the latency phase's press rate, as a share of the burst's updates/s",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= args.presses:
        parser.error("--rounds takes 1 to --presses rounds")
    return args


if __name__ == "__main__":
    # On the product's loop, as ``chibo run`` runs.
    emit_json(run_on_event_loop(main(parse())))
