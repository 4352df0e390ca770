"""Check-in by QR code end to end: the secretary gets the PNG of the meeting's link, a member
scans it (opens the deep link) and checks in with one tap, in the window and in the cell only."""

from __future__ import annotations

import io
import re
from datetime import datetime

import segno
from PIL import Image
from sqlalchemy import select

from domain.attendance import RollStatus
from emulator import EmuUser, SentMessage
from services.views import summary
from storage.models import Invitation, Meeting, Person
from tests.harness import BOT_USERNAME, RunningBot, cell_with_members, forged_press, token_of
from tests.test_attendance_e2e import CODE, local, schedule_and_invite

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHECKIN_LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=checkin-[A-Za-z0-9_-]{{22}}")
CELL = "Chi bộ Phòng Tổng hợp"


def qr_modules(png: bytes) -> list[list[bool]]:
    """The QR code in the image as a phone reads it: the module's size from the top-left
    finder pattern (7 modules wide), the code's width from the top-right one, each module
    sampled at its centre (True: dark)."""
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size

    def dark(x: float, y: float) -> bool:
        return int(image.getpixel((int(x), int(y)))) < 128  # type: ignore[arg-type]

    top = next(y for y in range(height) if any(dark(x, y) for x in range(width)))
    left = next(x for x in range(width) if dark(x, top))
    module = (next(x for x in range(left, width) if not dark(x, top)) - left) / 7
    right = max(x for x in range(width) if dark(x, top))
    size = round((right + 1 - left) / module)
    assert left >= 4 * module and top >= 4 * module, "no quiet zone around the code"
    return [
        [dark(left + (column + 0.5) * module, top + (row + 0.5) * module) for column in range(size)]
        for row in range(size)
    ]


def encodes(png: bytes, link: str) -> bool:
    """Whether the image is a QR code of exactly ``link``, at whichever error correction."""
    shown = qr_modules(png)
    return any(
        shown == [[bool(m) for m in row] for row in segno.make_qr(link, error=level).matrix]
        for level in "LMQH"
    )


async def qr_code_of_next_meeting(bot: RunningBot, secretary: EmuUser, lang: str) -> SentMessage:
    """/attendance → the QR code button: the PNG the bot sends (its caption holds the link)."""
    view = await bot.send(secretary, "/attendance")
    before = bot.emulator.message_count(secretary.id)
    await bot.press(secretary, view, bot.t(lang, "attendance.qr"))
    [qr] = bot.messages_since(secretary.id, before)
    return qr


def link_of(qr: SentMessage) -> str:
    found = CHECKIN_LINK.search(qr.text or "")
    assert found, f"no check-in link in {qr.text!r}"
    return found.group(0)


async def scan(bot: RunningBot, member: EmuUser, link: str) -> SentMessage:
    """The phone's camera opens the link: Telegram sends the bot /start with its payload."""
    return await bot.send(member, f"/start {token_of(link)}")


async def invitations_of(bot: RunningBot, member: EmuUser) -> list[Invitation]:
    """The member's invitations, to one meeting after another."""
    async with bot.database.transaction() as session:
        query = (
            select(Invitation)
            .join(Person, Person.id == Invitation.person_id)
            .where(Person.telegram_user_id == member.id)
            .order_by(Invitation.meeting_id)
        )
        return list((await session.scalars(query)).all())


async def checked_in_at(bot: RunningBot, member: EmuUser) -> list[datetime | None]:
    return [invitation.checked_in_at for invitation in await invitations_of(bot, member)]


def mark_of(roll: SentMessage, name: str) -> str:
    """The mark before the member's name on the roll: ✅ present, ❔ undecided, ..."""
    [label] = [label for label in roll.button_texts() if name in label]
    return label[0]


async def test_a_member_checks_in_by_scanning_the_rooms_qr_code(bot: RunningBot, lang: str) -> None:
    t, emu = bot.t, bot.emulator
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa", "Trần Văn Nam"], lang)
    lan, hung, (minh, hoa, nam) = cell.secretary, cell.supervisor, cell.members
    await schedule_and_invite(bot, lan, lang, "meeting.kind.regular", "05/12 19:30")
    [meeting] = await bot.rows(Meeting)

    # Days before, the secretary gets the QR code to print: a PNG of the meeting's link,
    # captioned with what it is and when it works.
    qr = await qr_code_of_next_meeting(bot, lan, lang)
    link = link_of(qr)
    assert qr.document is not None and qr.document["file_name"] == "checkin-qr.png"
    png = qr.content or b""
    assert png.startswith(PNG_SIGNATURE) and encodes(png, link)
    assert qr.text == t(
        lang,
        "checkin_link.qr_caption",
        summary=summary(meeting, CELL),
        opens=local(5, 19, 0),
        until=local(5, 21, 30),
        link=link,
    )
    # Asked again, the same code: the printed one keeps working.
    assert link_of(await qr_code_of_next_meeting(bot, lan, lang)) == link

    # Scanned before the window: not yet.
    assert (await scan(bot, minh, link)).text == t(lang, "checkin.too_early", opens=local(5, 19, 0))

    # In the room: the meeting and one button; one tap checks Minh in.
    bot.clock.set(local(5, 19, 10))
    opened = await scan(bot, minh, link)
    assert opened.text == t(lang, "checkin_link.open", summary=summary(meeting, CELL))
    assert opened.button_texts() == [t(lang, "checkin.button")]
    [[(_, tap)]] = opened.buttons()
    assert tap is not None
    done = await bot.press(minh, opened, t(lang, "checkin.button"))
    assert done.text == t(lang, "checkin.done", summary=summary(meeting, CELL))
    assert await checked_in_at(bot, minh) == [local(5, 19, 10)]

    # A second tap, or a second scan, a minute later: told when, nothing changes.
    bot.clock.set(local(5, 19, 11))
    again = forged_press(bot, minh, opened, tap)
    await bot.settle(again)
    assert bot.answer(again) == t(lang, "checkin.already", when=local(5, 19, 10))
    assert (await scan(bot, minh, link)).text == t(lang, "checkin.already", when=local(5, 19, 10))
    assert await checked_in_at(bot, minh) == [local(5, 19, 10)]

    # The link forwarded out of the room: the supervisor is no member of the cell, a stranger
    # is nobody to chibo; a mistyped or made-up token is unknown. None of them is checked in.
    assert (await scan(bot, hung, link)).text == t(lang, "checkin_link.not_member")
    stranger = emu.user(77_777, "Người Ngoài")
    assert (await scan(bot, stranger, link)).text == t("vi", "error.not_registered")
    made_up = f"https://t.me/{BOT_USERNAME}?start=checkin-{'A' * 22}"
    assert (await scan(bot, nam, made_up)).text == t(lang, "checkin_link.unknown")
    assert (await scan(bot, nam, link[:-3])).text == t(lang, "checkin_link.unknown")
    assert await checked_in_at(bot, hung) == [] and await checked_in_at(bot, nam) == [None]

    # The room's typed code keeps working beside the QR code.
    view = await bot.send(lan, "/attendance")
    code = CODE.search(view.text or "")
    assert code is not None
    assert (await bot.send(hoa, code.group(1))).text == t(
        lang, "checkin.done", summary=summary(meeting, CELL)
    )

    # The roll starts from both check-ins alike; Nam, who did neither, is undecided.
    bot.clock.set(local(5, 19, 40))
    roll = await bot.press(lan, view, t(lang, "attendance.open_roll"))
    assert [mark_of(roll, m.first_name) for m in (minh, hoa, nam)] == ["✅", "✅", "❔"]
    assert [i.roll_status for m in (minh, hoa) for i in await invitations_of(bot, m)] == [
        RollStatus.PRESENT,
        RollStatus.PRESENT,
    ]

    # Once the meeting is over the code is dead: a tap on the link opened a minute before,
    # or a scan, checks nobody in.
    bot.clock.set(local(5, 21, 29))
    opened_late = await scan(bot, nam, link)
    bot.clock.set(local(5, 21, 30))
    late_tap = emu.press_button(nam, opened_late, text=t(lang, "checkin.button"))
    await bot.settle(late_tap)
    assert bot.answer(late_tap) == t(lang, "checkin.ended")
    assert (await scan(bot, nam, link)).text == t(lang, "checkin.ended")
    assert await checked_in_at(bot, nam) == [None]


async def test_each_meeting_has_its_own_qr_code(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    lan, minh = cell.secretary, cell.members[0]
    await schedule_and_invite(bot, lan, "vi", "meeting.kind.regular", "05/12 19:30")
    first = link_of(await qr_code_of_next_meeting(bot, lan, "vi"))
    await schedule_and_invite(bot, lan, "vi", "meeting.kind.committee", "12/12 08:00")

    # After the first meeting, /attendance is about the next one, whose code is another.
    bot.clock.set(local(6, 9, 0))
    second = link_of(await qr_code_of_next_meeting(bot, lan, "vi"))
    assert second != first
    bot.clock.set(local(12, 7, 45))
    assert (await scan(bot, minh, first)).text == t("vi", "checkin.ended")
    opened = await scan(bot, minh, second)
    done = await bot.press(minh, opened, t("vi", "checkin.button"))
    assert (done.text or "").startswith(t("vi", "checkin.done", summary="").strip())
    assert await checked_in_at(bot, minh) == [None, local(12, 7, 45)]
