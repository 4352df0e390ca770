"""The dashboard over HTTP as Telegram's Mini App reaches it: who may open which page, with
launch data signed (or forged) as Telegram signs it, and what the responses say and carry.

The launch data is signed here plainly from Telegram's documented scheme, not with the code
under test; a browser opening the same pages is in tests/test_dashboard_browser.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

import pytest
from docx import Document
from sqlalchemy import delete, event, select, update
from sqlalchemy.exc import OperationalError

from domain.attendance import RollStatus
from domain.meetings import MeetingKind
from domain.roles import MemberStatus
from storage.db import Database
from storage.models import Cell as CellRow
from storage.models import CellFiguresRevision, Meeting, Membership, Person
from tests.conftest import VIETNAM
from tests.harness import (
    RunningBot,
    add_member,
    choose_language,
    held_meeting,
    meeting_ahead,
)
from tests.webapp import MAX_AGE, dashboard, opened_by, signed, two_cells


async def test_a_supervisor_sees_every_cell_of_the_organisation(bot: RunningBot) -> None:
    supervisor, *_ = await two_cells(bot)
    async with dashboard(bot) as client:
        page = await client.get("/app/api/", headers=opened_by(signed(supervisor, bot.clock.now())))
    assert page.status_code == 200
    assert "Chi bộ Phòng Tổng hợp" in page.text and "Chi bộ Phòng Kế toán" in page.text
    assert bot.t("vi", "dashboard.label.grid") in page.text
    assert page.text.count('<tr data-cell="') == 2


async def test_a_secretary_sees_only_their_cell_and_is_refused_another(bot: RunningBot) -> None:
    _, secretary, _, _, own, other = await two_cells(bot)
    opened = opened_by(signed(secretary, bot.clock.now()))
    async with dashboard(bot) as client:
        home = await client.get("/app/api/", headers=opened)
        mine = await client.get(f"/app/api/cells/{own}", headers=opened)
        theirs = await client.get(f"/app/api/cells/{other}", headers=opened)
        nowhere = await client.get(f"/app/api/cells/{other + 100}", headers=opened)
    assert home.status_code == 200 and mine.status_code == 200
    assert "Chi bộ Phòng Tổng hợp" in home.text and "Chi bộ Phòng Kế toán" not in home.text
    assert theirs.status_code == 403
    assert bot.t("vi", "dashboard.denied.not_yours") in theirs.text
    assert "Chi bộ Phòng Kế toán" not in theirs.text
    # A cell that does not exist is refused alike: the answer says nothing of others' cells.
    assert nowhere.status_code == 403 and nowhere.text == theirs.text


async def test_a_member_and_a_stranger_have_no_dashboard(bot: RunningBot, lang: str) -> None:
    _, _, member, _, own, _ = await two_cells(bot)
    stranger = bot.emulator.user(40_000, "Người Lạ")
    now = bot.clock.now()
    async with dashboard(bot) as client:
        as_member = await client.get("/app/api/", headers=opened_by(signed(member, now)))
        member_cell = await client.get(
            f"/app/api/cells/{own}", headers=opened_by(signed(member, now))
        )
        as_stranger = await client.get(
            "/app/api/", headers=opened_by(signed(stranger, now, language=lang))
        )
    assert as_member.status_code == 403
    assert bot.t("vi", "dashboard.denied.no_dashboard") in as_member.text
    assert member_cell.status_code == 403
    assert as_stranger.status_code == 403
    assert bot.t(lang, "dashboard.denied.not_registered") in as_stranger.text


@pytest.mark.parametrize(
    "launch_data",
    ["forged", "tampered", "other bot", "expired", "from the future", "missing", "not tma"],
)
async def test_launch_data_not_signed_for_now_is_refused_with_401(
    bot: RunningBot, launch_data: str
) -> None:
    supervisor, *_ = await two_cells(bot)
    now = bot.clock.now()
    honest = signed(supervisor, now)
    headers = {
        "forged": opened_by(honest.replace("hash=", "hash=0")),
        # Another person's id under the supervisor's signature.
        "tampered": opened_by(honest.replace(str(supervisor.id), str(supervisor.id + 1))),
        "other bot": opened_by(signed(supervisor, now, token="654321:ANOTHER-BOT")),
        "expired": opened_by(signed(supervisor, now - MAX_AGE - timedelta(seconds=1))),
        "from the future": opened_by(signed(supervisor, now + timedelta(hours=1))),
        "missing": {},
        "not tma": {"Authorization": f"Bearer {honest}"},
    }[launch_data]
    async with dashboard(bot) as client:
        page = await client.get("/app/api/", headers=headers)
    assert page.status_code == 401
    expected = {
        "expired": "dashboard.refused.expired",
        "from the future": "dashboard.refused.expired",
        "missing": "dashboard.refused.missing",
        "not tma": "dashboard.refused.missing",
    }.get(launch_data, "dashboard.refused.forged")
    assert bot.t("vi", expected) in page.text
    assert "Chi bộ" not in page.text


async def test_a_refusal_is_said_in_the_language_telegram_names(bot: RunningBot) -> None:
    supervisor, *_ = await two_cells(bot)
    expired = signed(supervisor, bot.clock.now() - 2 * MAX_AGE, language="en")
    async with dashboard(bot) as client:
        page = await client.get("/app/api/", headers=opened_by(expired))
    assert page.status_code == 401
    assert bot.t("en", "dashboard.refused.expired") in page.text


async def test_every_response_is_locked_down_and_keeps_nothing(bot: RunningBot) -> None:
    supervisor, *_ = await two_cells(bot)
    async with dashboard(bot) as client:
        responses = [
            await client.get("/app/"),
            await client.get("/app/cells/1"),
            await client.get("/app/static/dashboard.js"),
            await client.get("/app/static/dashboard.css"),
            await client.get("/app/api/", headers=opened_by(signed(supervisor, bot.clock.now()))),
            await client.get("/app/api/"),
        ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200, 401]
    for response in responses:
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "set-cookie" not in response.headers
    # A page of figures travels compressed (httpx asks for gzip, as browsers do).
    assert responses[4].headers["Content-Encoding"] == "gzip"
    # The shell holds no figure and no name: it only loads them with the launch data.
    assert "Chi bộ" not in responses[0].text


async def test_query_values_that_are_not_numbers_or_views_are_not_looked_for(
    bot: RunningBot,
) -> None:
    supervisor, *_ = await two_cells(bot)
    opened = opened_by(signed(supervisor, bot.clock.now()))
    async with dashboard(bot) as client:
        future = await client.get("/app/api/?year=2030", headers=opened)
        junk = await client.get("/app/api/?year=20x6&quarter=%00&page=-1", headers=opened)
        quarter_ahead = await client.get("/app/api/?year=2026&quarter=5", headers=opened)
    assert future.status_code == 404 and quarter_ahead.status_code == 404
    assert bot.t("vi", "dashboard.denied.not_found") in future.text
    # Values that are not numbers are ignored: the default view.
    assert junk.status_code == 200 and "Chi bộ Phòng Tổng hợp" in junk.text


async def test_minutes_not_recorded_are_not_found_and_others_minutes_refused(
    bot: RunningBot,
) -> None:
    supervisor, _, member, _, _, _ = await two_cells(bot)
    now = bot.clock.now()
    async with dashboard(bot) as client:
        missing = await client.get(
            "/app/api/meetings/1/minutes", headers=opened_by(signed(supervisor, now))
        )
        as_member = await client.get(
            "/app/api/meetings/1/minutes", headers=opened_by(signed(member, now))
        )
    assert missing.status_code == 403  # no such meeting: refused like another's
    assert as_member.status_code == 403


async def test_a_database_failing_mid_request_is_said_plainly_in_one_log_line(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    supervisor, *_ = await two_cells(bot)

    async def failing(*_: object) -> None:
        raise OperationalError("SELECT …", {}, ConnectionResetError("server closed"))

    # The person and their scope are read; the figures' first query fails.
    monkeypatch.setattr("services.digest.figures.cells_in_scope", failing)
    async with dashboard(bot) as client:
        page = await client.get("/app/api/", headers=opened_by(signed(supervisor, bot.clock.now())))
    assert page.status_code == 503
    assert bot.t("vi", "dashboard.refused.unavailable") in page.text
    [line] = [r for r in caplog.records if r.name == "handlers.dashboard"]
    assert line.exc_info is None and "\n" not in line.getMessage()
    assert str(supervisor.id) not in line.getMessage()


async def test_recorded_minutes_download_as_the_document_for_those_who_may_see_the_cell(
    bot: RunningBot,
) -> None:
    supervisor, secretary, _, other_secretary, own, _ = await two_cells(bot)
    now = bot.clock.now()
    held = now - timedelta(days=5)
    async with bot.database.transaction() as session:
        recorded = await held_meeting(
            session, own, held, {}, minutes_recorded_at=held + timedelta(days=1)
        )
        recorded.minutes_number = 7
        unrecorded = await held_meeting(
            session, own, held + timedelta(days=1), {}, kind=MeetingKind.THEMATIC
        )
    async with dashboard(bot) as client:
        cell_page = await client.get(
            f"/app/api/cells/{own}", headers=opened_by(signed(secretary, now))
        )
        document = await client.get(
            f"/app/api/meetings/{recorded.id}/minutes", headers=opened_by(signed(supervisor, now))
        )
        not_recorded = await client.get(
            f"/app/api/meetings/{unrecorded.id}/minutes",
            headers=opened_by(signed(supervisor, now)),
        )
        other_cell = await client.get(
            f"/app/api/meetings/{recorded.id}/minutes",
            headers=opened_by(signed(other_secretary, now)),
        )
    assert f'/app/api/meetings/{recorded.id}/minutes"' in cell_page.text
    assert f'/app/api/meetings/{unrecorded.id}/minutes"' not in cell_page.text
    assert document.status_code == 200
    assert document.headers["Content-Disposition"] == (
        f'attachment; filename="bien-ban-{held.astimezone(VIETNAM):%Y%m%d}-{recorded.id}.docx"'
    )
    word = Document(BytesIO(document.content))
    text = "\n".join(
        [p.text for p in word.paragraphs]
        + [c.text for t in word.tables for row in t.rows for c in row.cells]
    )
    assert "Chi bộ Phòng Tổng hợp".upper() in text.upper()
    assert f"Sinh hoạt thường kỳ tháng {held.astimezone(VIETNAM):%m/%Y}" in text
    assert bot.t("vi", "minutes.label.number_line", number="07") in text
    assert not_recorded.status_code == 404
    assert bot.t("vi", "dashboard.denied.not_found") in not_recorded.text
    assert other_cell.status_code == 403


async def test_the_overview_asks_the_database_as_often_for_many_cells_as_for_two(
    bot: RunningBot,
) -> None:
    supervisor, *_ = await two_cells(bot)
    [organisation_id] = {c.organisation_id for c in await bot.rows(CellRow)}
    opened = opened_by(signed(supervisor, bot.clock.now()))

    async def statements() -> int:
        """Those of one overview, on an engine of its own: the running bot's jobs use theirs."""
        issued: list[str] = []

        def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
            issued.append(statement)

        own = Database(bot.settings.database_url)
        event.listen(own.engine.sync_engine, "before_cursor_execute", record)
        try:
            async with dashboard(bot, own) as client:
                assert (await client.get("/app/api/", headers=opened)).status_code == 200
        finally:
            await own.dispose()
        return len(issued)

    with_two = await statements()
    now = bot.clock.now()
    async with bot.database.transaction() as session:
        for number in range(8):
            cell = CellRow(
                organisation_id=organisation_id, name=f"Chi bộ thêm {number}", created_at=now
            )
            session.add(cell)
            await session.flush()
            for member in range(5):
                await add_member(
                    session,
                    cell.id,
                    60_000 + 10 * number + member,
                    f"Đảng viên {number}.{member}",
                    secretary=member == 0,
                    status=MemberStatus.FULL,
                    joined_at=now,
                    created_at=now,
                )
            await held_meeting(session, cell.id, now - timedelta(days=20), {})
    assert await statements() == with_two


async def test_a_member_who_left_keeps_their_years_marks_and_risk_on_the_cells_page(
    bot: RunningBot,
) -> None:
    supervisor, secretary, member, _, own, _ = await two_cells(bot)
    now = bot.clock.now()
    async with bot.database.transaction() as session:
        people = {p.telegram_user_id: p.id for p in await session.scalars(select(Person))}
        for weeks_ago in (3, 6, 9):
            marks = {
                people[secretary.id]: RollStatus.PRESENT,
                people[member.id]: RollStatus.UNEXCUSED,
            }
            await held_meeting(session, own, now - timedelta(weeks=weeks_ago), marks)
        await session.execute(
            update(Membership)
            .where(Membership.person_id == people[member.id])
            .values(left_at=now - timedelta(days=1))
        )
    async with dashboard(bot) as client:
        page = await client.get(f"/app/api/cells/{own}", headers=opened_by(signed(supervisor, now)))
    rows = re.findall(r"<tr( class=\"at-risk\" data-at-risk)?>\s*<th>(.*?)</th>", page.text, re.S)
    [(risk, gone)] = [(risk, name) for risk, name in rows if "Lê Văn Minh" in name]
    assert risk and bot.t("vi", "dashboard.label.left") in gone
    # As the digest reports him: three absences without reason this year.
    assert bot.t("vi", "dashboard.label.at_risk") in gone


async def recorded_meeting(bot: RunningBot, cell_id: int, held: datetime) -> int:
    """A meeting of the cell held at ``held``, its roll closed and its minutes recorded."""
    async with bot.database.transaction() as session:
        meeting = await held_meeting(
            session, cell_id, held, {}, minutes_recorded_at=held + timedelta(days=1)
        )
        meeting.minutes_number = 3
        return meeting.id


async def test_minutes_sent_to_the_chat_arrive_there_once(bot: RunningBot, lang: str) -> None:
    """In Telegram's mobile apps a Mini App cannot save a file: the bot sends it instead."""
    supervisor, _, member, _, own, _ = await two_cells(bot)
    await choose_language(bot, supervisor, lang)
    meeting_id = await recorded_meeting(bot, own, bot.clock.now() - timedelta(days=5))
    now = bot.clock.now()
    path = f"/app/api/meetings/{meeting_id}/minutes/chat"
    async with dashboard(bot) as client:
        first = await client.post(path, headers=opened_by(signed(supervisor, now)))
        await bot.settled()
        again = await client.post(path, headers=opened_by(signed(supervisor, now)))
        refused = await client.post(path, headers=opened_by(signed(member, now)))
    assert (first.status_code, first.text) == (200, bot.t(lang, "dashboard.minutes_sent"))
    assert (again.status_code, again.text) == (200, bot.t(lang, "dashboard.minutes_sent_before"))
    assert refused.status_code == 403
    await bot.settled()
    sent = [m for m in bot.emulator.messages(supervisor.id) if m.document]
    assert [m.document["file_name"] for m in sent] == [
        f"bien-ban-{(now - timedelta(days=5)).astimezone(VIETNAM):%Y%m%d}-{meeting_id}.docx"
    ]


async def test_a_past_year_is_judged_as_it_stood_at_its_end(bot: RunningBot) -> None:
    supervisor, *_ = await two_cells(bot)
    async with bot.database.transaction() as session:
        await session.execute(
            update(CellRow).values(created_at=datetime(2024, 1, 1, tzinfo=VIETNAM))
        )
    async with dashboard(bot) as client:
        page = await client.get(
            "/app/api/?year=2025", headers=opened_by(signed(supervisor, bot.clock.now()))
        )
    reasons = re.findall(r'<span class="reason"[^>]*>([^<]*)</span>', page.text)
    # Every month of 2025 missed, said of 2025: nothing of the months after it.
    assert reasons and not [r for r in reasons if "/2026" in r]
    assert any("12/2025" in r for r in reasons)
    assert "(12/2025)" in page.text and "(12/2026)" not in page.text
    months = re.findall(r'data-month="(2025-\d\d)" data-state="(\w+)"', page.text)
    assert months == [(f"2025-{m:02d}", "missed") for m in range(1, 13)] * 2


async def test_hostile_values_are_refused_plainly_never_with_a_server_error(
    bot: RunningBot,
) -> None:
    supervisor, *_ = await two_cells(bot)
    opened = opened_by(signed(supervisor, bot.clock.now()))
    nested = urlencode({"user": "[" * 3000, "auth_date": "1", "hash": "0" * 64})
    async with dashboard(bot) as client:
        deep = await client.get("/app/api/", headers=opened_by(nested))
        long_year = await client.get("/app/api/?year=" + "9" * 5000, headers=opened)
        huge_cell = await client.get("/app/api/cells/" + "9" * 20, headers=opened)
        huge_meeting = await client.get(f"/app/api/meetings/{'9' * 20}/minutes", headers=opened)
    assert deep.status_code == 401
    assert long_year.status_code == 200  # not a year: the default view
    assert huge_cell.status_code == 403 and huge_meeting.status_code == 403


async def test_a_database_that_cannot_be_reached_is_said_plainly(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    supervisor, *_ = await two_cells(bot)

    async def unreachable(*_: object) -> None:
        # What asyncpg raises, unwrapped, when the server refuses the connection.
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr("services.digest.figures.cells_in_scope", unreachable)
    async with dashboard(bot) as client:
        page = await client.get("/app/api/", headers=opened_by(signed(supervisor, bot.clock.now())))
    assert page.status_code == 503
    assert bot.t("vi", "dashboard.refused.unavailable") in page.text


async def test_a_meeting_still_ahead_counts_for_no_minutes_and_no_roll(bot: RunningBot) -> None:
    supervisor, _, _, _, own, _ = await two_cells(bot)
    ahead = bot.clock.now() + timedelta(days=19)
    async with bot.database.transaction() as session:
        session.add(meeting_ahead(own, ahead, bot.clock.now()))
    async with dashboard(bot) as client:
        page = await client.get(
            f"/app/api/cells/{own}", headers=opened_by(signed(supervisor, bot.clock.now()))
        )
    assert '<span class="figure" id="minutes">0/0</span>' in page.text
    assert bot.t("vi", "dashboard.label.ahead") in page.text


async def test_the_overview_reuses_its_figures_until_a_write_or_the_clock_changes_them(
    bot: RunningBot,
) -> None:
    supervisor, _, _, _, own, _ = await two_cells(bot)
    ahead = bot.clock.now() + timedelta(hours=3)
    async with bot.database.transaction() as session:
        session.add(meeting_ahead(own, ahead, bot.clock.now()))
    issued: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        issued.append(statement)

    def minutes_of_held(page: str) -> str:
        row = page[page.index(f'<tr data-cell="{own}"') :]
        return row[row.index('<td class="num minutes">') :].split("<", 2)[1].split(">")[1]

    own_engine = Database(bot.settings.database_url)
    event.listen(own_engine.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with dashboard(bot, own_engine) as client:

            async def overview() -> tuple[str, int]:
                issued.clear()
                opened = opened_by(signed(supervisor, bot.clock.now()))
                page = await client.get("/app/api/", headers=opened)
                assert page.status_code == 200
                return page.text, len(issued)

            async def as_worked_out_afresh() -> str:
                """The overview of a dashboard that has kept nothing yet."""
                async with dashboard(bot) as fresh:
                    opened = opened_by(signed(supervisor, bot.clock.now()))
                    return (await fresh.get("/app/api/", headers=opened)).text

            first, worked_out = await overview()
            again, reused = await overview()
            # Nothing changed: the same page, without asking for the figures again.
            assert again == first and reused < worked_out
            assert minutes_of_held(first) == "0/0"
            # The meeting starts: it is held now, without a write.
            bot.clock.advance(timedelta(hours=3, minutes=1))
            held, asked = await overview()
            assert minutes_of_held(held) == "0/1" and asked > reused
            assert held == await as_worked_out_afresh()
            # Its minutes are recorded (by whatever writes them): shown at once, the other
            # cell's figures kept, the organisation's summed again.
            async with bot.database.transaction() as session:
                await session.execute(
                    update(Meeting)
                    .where(Meeting.cell_id == own)
                    .values(minutes_recorded_at=bot.clock.now())
                )
            recorded, asked = await overview()
            assert minutes_of_held(recorded) == "1/1" and asked > reused
            assert recorded == await as_worked_out_afresh()
            assert (await overview())[1] == reused
    finally:
        await own_engine.dispose()


async def test_a_headline_share_of_no_cells_says_why_there_is_none(bot: RunningBot) -> None:
    supervisor, *_ = await two_cells(bot)
    async with dashboard(bot) as client:
        page = await client.get("/app/api/", headers=opened_by(signed(supervisor, bot.clock.now())))
    figures = page.text[page.text.index('<section class="figures">') :]
    figures = figures[: figures.index("</section>")]
    # 1 December, before the cutoff: both cells owe the month's meeting, neither has held it;
    # no roll was taken; new cells owe no thematic meeting this quarter.
    said = re.findall(
        r'id="([a-z-]+)">([^<]*)</span>[^<]*(?:<small class="why">— ([^<]*))?', figures
    )
    assert said == [
        ("on-time", "—", bot.t("vi", "digest.label.not_due_yet")),
        ("attendance", "—", bot.t("vi", "digest.label.no_roll")),
        ("thematic", "—", bot.t("vi", "digest.label.nobody_owed")),
    ]


async def test_an_organisation_whose_counters_are_missing_is_never_shown_from_memory(
    bot: RunningBot,
) -> None:
    """Counters are missing only where the database's triggers were switched off (a bulk
    load): nothing would tell when kept figures go out of date, so none are kept."""
    supervisor, _, _, _, own, _ = await two_cells(bot)
    ahead = bot.clock.now() + timedelta(hours=3)
    async with bot.database.transaction() as session:
        session.add(meeting_ahead(own, ahead, bot.clock.now()))
        await session.execute(delete(CellFiguresRevision).where(CellFiguresRevision.cell_id == own))
    async with dashboard(bot) as client:
        opened = opened_by(signed(supervisor, bot.clock.now()))
        before = await client.get("/app/api/", headers=opened)
        async with bot.database.transaction() as session:
            await session.execute(update(Meeting).where(Meeting.cell_id == own).values(late=True))
        after = await client.get("/app/api/", headers=opened)
    assert before.text != after.text
    assert 'data-state="late"' in after.text and 'data-state="late"' not in before.text
