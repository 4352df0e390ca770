"""The reasons for an absence are choices on the absent button itself: its token and a reason in
the callback data, nothing stored per reason; what a forger writes there is checked as any
button's data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from domain.meetings import Response
from emulator import EmuUser, SentMessage
from services import routes
from services.actions import PressedData
from services.errors import Refused
from storage.models import CallbackAction, Invitation
from tests.harness import RunningBot, cell_with_members, forged_press
from tests.test_attendance_e2e import invitation, local, schedule_and_invite

# The values of domain.meetings.AbsenceReason, in the menu's order.
REASONS = ["business_trip", "illness", "family", "far_away", "other"]


def data_on(message: SentMessage) -> list[str]:
    return [data for row in message.buttons() for _, data in row if data is not None]


async def answers(bot: RunningBot) -> dict[int, tuple[Response | None, str | None, str | None]]:
    return {i.person_id: (i.response, i.reason, i.reason_note) for i in await bot.rows(Invitation)}


async def invited(bot: RunningBot) -> tuple[EmuUser, EmuUser, EmuUser]:
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa"])
    lan, (minh, hoa) = cell.secretary, cell.members
    await schedule_and_invite(bot, lan, "vi", "meeting.kind.regular", "05/12 19:30")
    return lan, minh, hoa


async def test_the_reasons_are_choices_on_the_absent_button_and_store_nothing(
    bot: RunningBot,
) -> None:
    t = bot.t
    _, minh, hoa = await invited(bot)
    attend_token, absent_token = data_on(invitation(bot, hoa))
    buttons_before = len(await bot.rows(CallbackAction))
    reasons = await bot.press(hoa, invitation(bot, hoa), t("vi", "rsvp.absent"))
    assert reasons.button_texts() == [t("vi", f"rsvp.reason.{reason}") for reason in REASONS]
    assert data_on(reasons) == [f"{absent_token}:{reason}" for reason in REASONS]
    assert len(await bot.rows(CallbackAction)) == buttons_before
    answered = await bot.press(hoa, reasons, t("vi", "rsvp.reason.family"))
    assert (answered.text or "").endswith(
        t("vi", "rsvp.answer.absent", reason=t("vi", "rsvp.reason.family"))
    )
    # The answered invitation has its own two buttons again.
    assert data_on(answered) == [attend_token, absent_token]
    assert len(await bot.rows(CallbackAction)) == buttons_before

    # "Other" asks for the reason in words, as before.
    reasons = await bot.press(minh, invitation(bot, minh), t("vi", "rsvp.absent"))
    asked = await bot.press(minh, reasons, t("vi", "rsvp.reason.other"))
    assert asked.text == t("vi", "rsvp.ask_note")
    await bot.send(minh, "Học lớp trung cấp chính trị")
    recorded = await answers(bot)
    assert sorted(recorded.values(), key=str) == sorted(
        [
            (None, None, None),
            (Response.ABSENT, "family", None),
            (Response.ABSENT, "other", "Học lớp trung cấp chính trị"),
        ],
        key=str,
    )


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda attend, absent: f"{absent}:holiday", id="a reason not offered"),
        pytest.param(lambda attend, absent: f"{absent}:", id="an empty choice"),
        pytest.param(lambda attend, absent: f"{absent}:ill:ness", id="a choice with a mark"),
        pytest.param(lambda attend, absent: f"{absent}:illness\x00", id="a NUL byte"),
        pytest.param(lambda attend, absent: f"{attend}:illness", id="a reason to attend"),
        pytest.param(lambda attend, absent: f"{absent[:-2]}zz:illness", id="a token altered"),
    ],
)
async def test_a_forged_choice_is_a_stale_button_and_records_nothing(
    bot: RunningBot, forge: Callable[[str, str], str]
) -> None:
    _, _, hoa = await invited(bot)
    message = invitation(bot, hoa)
    attend_token, absent_token = data_on(message)
    before = await answers(bot)
    pressed = forged_press(bot, hoa, message, forge(attend_token, absent_token))
    await bot.settle(pressed)
    assert bot.answer(pressed) == bot.t("vi", "error.stale_button")
    assert await answers(bot) == before


async def test_a_choice_on_a_button_that_offers_none_is_a_stale_button(bot: RunningBot) -> None:
    t = bot.t
    lan, _, _ = await invited(bot)
    view = await bot.send(lan, "/attendance")
    [qr_data] = data_on(view)
    pressed = forged_press(bot, lan, view, f"{qr_data}:illness")
    await bot.settle(pressed)
    assert bot.answer(pressed) == t("vi", "error.stale_button")


async def test_someone_elses_absent_button_offers_them_no_choice(bot: RunningBot) -> None:
    _, minh, hoa = await invited(bot)
    message = invitation(bot, hoa)
    _, absent_token = data_on(message)
    before = await answers(bot)
    pressed = forged_press(bot, minh, message, f"{absent_token}:illness")
    await bot.settle(pressed)
    assert bot.answer(pressed) == bot.t("vi", "error.not_your_button")
    assert await answers(bot) == before


async def test_a_reason_button_stored_before_reasons_were_choices_still_answers(
    bot: RunningBot,
) -> None:
    """Menus of reasons sent before this release have a row per reason, kind "rsvp.reason";
    they work until they expire."""
    t = bot.t
    _, _, hoa = await invited(bot)
    message = invitation(bot, hoa)
    attend_token, absent_token = data_on(message)
    [meeting_id] = {i.meeting_id for i in await bot.rows(Invitation)}
    now = bot.clock.now()
    async with bot.database.transaction() as session:
        session.add(
            CallbackAction(
                token="storedReason0001",
                kind="rsvp.reason",
                payload={
                    "meeting_id": meeting_id,
                    "reason": "illness",
                    "screen": [attend_token, absent_token],
                },
                telegram_user_id=hoa.id,
                created_at=now,
                expires_at=local(30, 0),
            )
        )
    pressed = forged_press(bot, hoa, message, "storedReason0001")
    await bot.settle(pressed)
    assert bot.answer(pressed) == t("vi", "rsvp.recorded")
    assert (Response.ABSENT, "illness", None) in (await answers(bot)).values()


def test_pressed_data_is_a_token_and_at_most_one_choice() -> None:
    assert PressedData.parse("aB3-_x") == PressedData("aB3-_x")
    assert PressedData.parse("aB3-_x:illness") == PressedData("aB3-_x", "illness")
    for forged in ("", ":illness", "aB3:", "aB3:ill:ness", "a b", "aB3:ill ness", "\x00"):
        assert PressedData.parse(forged) is None, forged


@dataclass(frozen=True)
class _Pick:
    item_id: int
    colour: str = "none"


async def test_a_route_takes_a_choice_only_into_the_field_it_names() -> None:
    seen: list[_Pick] = []

    async def use_case(request: object, payload: _Pick) -> object:
        seen.append(payload)
        return None

    offering = routes.Route("test.pick", use_case, routes.TypeAdapter(_Pick), choice="colour")  # type: ignore[arg-type]
    await offering(None, {"item_id": 3}, "red")  # type: ignore[arg-type]
    # The choice wins over a stored value of the same name.
    await offering(None, {"item_id": 3, "colour": "blue"}, "green")  # type: ignore[arg-type]
    assert seen == [_Pick(3, "red"), _Pick(3, "green")]
    plain = routes.Route("test.plain", use_case, routes.TypeAdapter(_Pick))  # type: ignore[arg-type]
    with pytest.raises(Refused) as refusal:
        await plain(None, {"item_id": 3}, "red")  # type: ignore[arg-type]
    assert refusal.value.text.key == "error.stale_button"
    with pytest.raises(TypeError, match="no field"):
        routes.button("test.unregistered", _Pick, choice="shade")


async def test_a_reason_pressed_on_the_groups_invitation_is_refused_and_changes_nothing(
    bot: RunningBot,
) -> None:
    """Hoa writes her own absent button's token and a reason on the group's invitation: a
    reason is given in private only, so the group's message stays the invitation."""
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa"])
    lan, (_, hoa) = cell.secretary, cell.members
    group = bot.emulator.group(-1009988, "Nhóm chi bộ")
    await bot.send(lan, "/linkgroup", chat=group)
    await schedule_and_invite(bot, lan, "vi", "meeting.kind.regular", "05/12 19:30")
    [shown] = [
        m
        for m in bot.emulator.messages(group.id)
        if t("vi", "invitation.answer_privately") in m.button_texts()
    ]
    text, buttons = shown.text, shown.button_texts()
    _, absent_token = data_on(invitation(bot, hoa))
    before = await answers(bot)
    for reason in ("illness", "other"):
        pressed = forged_press(bot, hoa, shown, f"{absent_token}:{reason}")
        await bot.settle(pressed)
        assert bot.answer(pressed) == t("vi", "error.private_only")
    assert (shown.text, shown.button_texts()) == (text, buttons)
    assert await answers(bot) == before
