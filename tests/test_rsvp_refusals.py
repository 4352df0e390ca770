"""An answer is recorded before it is checked (its invitation is read back in the same
statement): one that may not be given is refused, and nothing of it stays; one from a
member who joined after the invitations went out makes their invitation."""

from __future__ import annotations

from sqlalchemy import update

from domain.meetings import MeetingStatus, Response
from emulator import EmuUser
from storage.models import AgendaItem, Invitation, Meeting, Membership, Person
from storage.queries.rsvp import invitation_of, record_answer
from tests.harness import RunningBot, cell_with_members, join, token_of
from tests.test_attendance_e2e import invitation, local, schedule_and_invite
from tests.test_rsvp_choices import answers, invited


async def pressed_and_refused(bot: RunningBot, user: EmuUser, label: str) -> str | None:
    update_id = bot.emulator.press_button(user, invitation(bot, user), text=bot.t("vi", label))
    await bot.settle(update_id)
    return bot.answer(update_id)


async def test_a_former_member_is_refused_and_no_answer_stays(bot: RunningBot) -> None:
    t = bot.t
    _, minh, hoa = await invited(bot)
    [hoa_person] = await bot.rows(Person, Person.full_name == "Phạm Thị Hoa")
    async with bot.database.transaction() as session:
        await session.execute(
            update(Membership)
            .where(Membership.person_id == hoa_person.id)
            .values(left_at=bot.clock.now())
        )
    before = await answers(bot)
    assert await pressed_and_refused(bot, hoa, "rsvp.attend") == t("vi", "rsvp.not_invited")
    assert await answers(bot) == before
    # Minh, still a member, answers as before.
    await bot.press(minh, invitation(bot, minh), t("vi", "rsvp.attend"))
    assert [answer for answer, _, _ in (await answers(bot)).values()].count(Response.ATTEND) == 1


async def test_a_cancelled_meeting_takes_no_answer(bot: RunningBot) -> None:
    t = bot.t
    _, minh, _ = await invited(bot)
    async with bot.database.transaction() as session:
        await session.execute(update(Meeting).values(status=MeetingStatus.CANCELLED))
    before = await answers(bot)
    assert await pressed_and_refused(bot, minh, "rsvp.attend") == t("vi", "rsvp.cancelled")
    assert await answers(bot) == before


async def test_a_reason_chosen_or_typed_once_the_meeting_started_is_refused(
    bot: RunningBot,
) -> None:
    t = bot.t
    _, minh, hoa = await invited(bot)
    minh_reasons = await bot.press(minh, invitation(bot, minh), t("vi", "rsvp.absent"))
    hoa_reasons = await bot.press(hoa, invitation(bot, hoa), t("vi", "rsvp.absent"))
    await bot.press(hoa, hoa_reasons, t("vi", "rsvp.reason.other"))
    before = await answers(bot)
    bot.clock.set(local(5, 19, 45))
    chosen = bot.emulator.press_button(minh, minh_reasons, text=t("vi", "rsvp.reason.illness"))
    await bot.settle(chosen)
    assert bot.answer(chosen) == t("vi", "rsvp.closed")
    assert (await bot.send(hoa, "Đi công tác đột xuất")).text == t("vi", "rsvp.closed")
    assert await answers(bot) == before


async def test_a_member_who_joined_after_the_invitations_answers_from_the_groups_link(
    bot: RunningBot,
) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    group = bot.emulator.group(-1009977, "Nhóm chi bộ")
    await bot.send(cell.secretary, "/linkgroup", chat=group)
    await schedule_and_invite(bot, cell.secretary, "vi", "meeting.kind.regular", "05/12 19:30")
    invited_before = len(await bot.rows(Invitation))
    newcomer = bot.emulator.user(20_500, "Võ Thị Mai")
    await join(bot, newcomer, cell.member_link, "vi")
    [shown] = [
        m
        for m in bot.emulator.messages(group.id)
        if t("vi", "invitation.answer_privately") in m.button_texts()
    ]
    [(_, link)] = shown.url_buttons()
    opened = await bot.send(newcomer, f"/start {token_of(link)}")
    answered = await bot.press(newcomer, opened, t("vi", "rsvp.attend"))
    assert t("vi", "rsvp.answer.attend") in (answered.text or "")
    rows = await bot.rows(Invitation)
    assert len(rows) == invited_before + 1
    [mai] = await bot.rows(Person, Person.full_name == "Võ Thị Mai")
    [made] = [row for row in rows if row.person_id == mai.id]
    assert made.response is Response.ATTEND and made.invited_at == bot.clock.now()


async def test_the_invitation_read_with_the_answer_is_the_invitation_as_stored(
    bot: RunningBot,
) -> None:
    """The invitation read back by the statement that records the answer (PostgreSQL's WITH
    clause, SQLite's RETURNING) is what reading it afterwards finds: the agenda in the order
    of its positions, not of its ids; a stranger or no meeting writes nothing."""
    _, minh, _ = await invited(bot)
    [meeting] = await bot.rows(Meeting)
    items = sorted(await bot.rows(AgendaItem), key=lambda item: item.id)
    assert len(items) >= 2
    async with bot.database.transaction() as session:
        for item, position in zip(items, range(len(items), 0, -1), strict=True):
            await session.execute(
                update(AgendaItem).where(AgendaItem.id == item.id).values(position=position)
            )
    by_position = [(item.title_key, item.title) for item in reversed(items)]
    before = await answers(bot)
    answer = {"response": Response.ABSENT, "reason": "illness", "reason_note": None}
    async with bot.database.connection() as connection:
        stranger = await record_answer(
            connection,
            telegram_user_id=99_999,
            meeting_id=meeting.id,
            now=bot.clock.now(),
            **answer,
        )
        no_meeting = await record_answer(
            connection,
            telegram_user_id=minh.id,
            meeting_id=meeting.id + 1,
            now=bot.clock.now(),
            **answer,
        )
    assert stranger is None
    assert no_meeting is not None and no_meeting.meeting is None
    assert await answers(bot) == before
    async with bot.database.connection() as connection:
        recorded = await record_answer(
            connection,
            telegram_user_id=minh.id,
            meeting_id=meeting.id,
            now=bot.clock.now(),
            **answer,
        )
    async with bot.database.connection() as connection:
        stored = await invitation_of(connection, minh.id, meeting.id)
    assert recorded == stored
    assert stored is not None and stored.meeting is not None
    assert [tuple(title) for title in stored.meeting.agenda] == by_position
    assert (stored.response, stored.reason) == (Response.ABSENT, "illness")
