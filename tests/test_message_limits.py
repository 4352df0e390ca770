"""Telegram's 4096: nothing the bot says is cut, long texts arrive whole across messages with
the buttons on the last, and what secretaries type is bounded so an invitation stays one
message that members can answer in place."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot
from telegram.error import BadRequest

from chat.i18n import Translator
from chat.rendering import TELEGRAM_TEXT_LIMIT, split_text
from domain.meetings import (
    MAX_AGENDA_ITEM_LENGTH,
    MAX_AGENDA_ITEMS,
    MAX_PLACE_LENGTH,
    MAX_REASON_NOTE,
    MeetingKind,
    MeetingStatus,
)
from domain.messages import Text, telegram_length
from domain.names import MAX_NAME_LENGTH
from domain.resolutions import ResolutionStatus, TaskStatus
from emulator import BotApiEmulator, EmuUser, SentMessage
from services.views import summary
from storage.models import AgendaItem, Cell, Meeting, Person, Resolution, ResolutionTask
from tests.conftest import VIETNAM
from tests.harness import TOKEN, RunningBot, cell_with_members, join, link_in, setup_link


def typed(label: str, length: int) -> str:
    """Words up to exactly ``length`` characters, starting with ``label``."""
    words = (label + " triển khai nghị quyết về công tác xây dựng Đảng" * 20)[:length].rstrip()
    return words + "." * (length - len(words))


# --- splitting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Chương trình:\n" + "\n".join(f"{n}. {typed('Mục', 290)}" for n in range(1, 41)),
        "\n\n".join(typed(f"Đoạn {n}", 900) for n in range(12)),
        " ".join(["nghị-quyết"] * 1200),  # one long line: parts end between words
        "😀 " * 3000,  # two units each: the parts are counted as Telegram counts them
    ],
)
def test_a_long_text_is_split_whole_between_words_within_the_limit(text: str) -> None:
    parts = split_text(text, TELEGRAM_TEXT_LIMIT)
    assert len(parts) > 1
    assert all(0 < telegram_length(part) <= TELEGRAM_TEXT_LIMIT for part in parts)
    # Nothing lost, nothing added, no word cut: the words read the same in order.
    assert " ".join(parts).split() == text.split()


def test_parts_end_at_a_paragraph_when_one_ends_late_enough() -> None:
    paragraphs = [typed(f"Đoạn {n}", 1500) for n in range(4)]
    parts = split_text("\n\n".join(paragraphs), TELEGRAM_TEXT_LIMIT)
    assert parts == ["\n\n".join(paragraphs[:2]), "\n\n".join(paragraphs[2:])]


def test_a_text_that_fits_is_one_part_as_it_is() -> None:
    text = "😀" * (TELEGRAM_TEXT_LIMIT // 2)
    assert split_text(text, TELEGRAM_TEXT_LIMIT) == [text]
    assert len(split_text(text + "a", TELEGRAM_TEXT_LIMIT)) == 2


# --- the limits add up to one message --------------------------------------------------------


def test_the_longest_agenda_under_the_longest_summary_is_one_invitation(lang: str) -> None:
    """Whatever may be typed within the limits, the invitation, its answered form and the
    private reason prompt are each one message, so answering edits it in place whole."""
    translator = Translator(ZoneInfo("Asia/Ho_Chi_Minh"), "vi")
    # Emoji count two units: the longest cell name (counted in characters) is one letter and
    # emoji; the typed agenda, place, theme and note are counted in units.
    cell_name = "A" + "😀" * (MAX_NAME_LENGTH - 1)
    theme = typed("Chủ đề", MAX_AGENDA_ITEM_LENGTH)
    meeting = Meeting(
        kind=MeetingKind.THEMATIC,
        starts_at=datetime(2026, 9, 23, 19, 30, tzinfo=VIETNAM),  # the longest month name
        place=typed("Hội trường", MAX_PLACE_LENGTH),
        theme=theme,
        late=True,
    )
    agenda = [
        Text(
            "agenda.line",
            {"number": n, "title": typed(f"Mục {n}", MAX_AGENDA_ITEM_LENGTH)},
        )
        for n in range(1, MAX_AGENDA_ITEMS + 1)
    ]
    invitation = Text("invitation.text", {"summary": summary(meeting, cell_name), "agenda": agenda})
    note = "😀" * (MAX_REASON_NOTE // 2)
    longest = [
        invitation,
        Text(
            "invitation.answered",
            {"invitation": invitation, "answer": Text("rsvp.answer.absent", {"reason": note})},
        ),
        Text("rsvp.ask_reason_private", {"invitation": invitation}),
    ]
    lengths = [telegram_length(translator.render(text, lang)) for text in longest]
    assert max(lengths) <= TELEGRAM_TEXT_LIMIT, lengths


# --- what is typed is bounded ----------------------------------------------------------------


async def schedule(
    bot: RunningBot, secretary: EmuUser, lang: str, kind: str, when: str, *typed_answers: str
) -> SentMessage:
    """The meeting's card, after answering the scheduling questions (place, theme)."""
    kinds = await bot.send(secretary, "/schedule")
    await bot.press(secretary, kinds, bot.t(lang, kind))
    reply = await bot.send(secretary, when)
    for answer in typed_answers:
        reply = await bot.send(secretary, answer)
    return await bot.press(secretary, reply, bot.t(lang, "schedule.create"))


def first_item_button(editor: SentMessage) -> str | None:
    """The first item's button in the agenda editor, if the agenda has an item."""
    rows = editor.buttons()
    return rows[0][0][0] if len(rows) > 1 else None


async def agenda_of(
    bot: RunningBot, secretary: EmuUser, card: SentMessage, lang: str, titles: list[str]
) -> SentMessage:
    """From the card: the standard items removed, then ``titles`` added; the editor."""
    t = bot.t
    editor = await bot.press(secretary, card, t(lang, "meeting.edit_agenda"))
    while (button := first_item_button(editor)) is not None:
        item = await bot.press(secretary, editor, button)
        editor = await bot.press(secretary, item, t(lang, "agenda.remove"))
    for title in titles:
        asked = await bot.press(secretary, editor, t(lang, "agenda.add"))
        assert asked.text == t(lang, "agenda.ask_add")
        editor = await bot.send(secretary, title)
    return editor


async def stored_titles(bot: RunningBot) -> list[str | None]:
    return [i.title for i in sorted(await bot.rows(AgendaItem), key=lambda i: i.position)]


async def test_an_item_too_long_or_one_too_many_is_refused_and_nothing_stored(
    bot: RunningBot, lang: str
) -> None:
    t = bot.t
    lan = (await cell_with_members(bot, ["Lê Văn Minh"], lang)).secretary
    card = await schedule(bot, lan, lang, "meeting.kind.regular", "05/12 19:30", "Hội trường")
    titles = [typed(f"Mục {n}", MAX_AGENDA_ITEM_LENGTH) for n in range(1, MAX_AGENDA_ITEMS)]
    editor = await agenda_of(bot, lan, card, lang, titles)
    assert await stored_titles(bot) == titles

    too_long = t(lang, "agenda.bad_item", max=MAX_AGENDA_ITEM_LENGTH)
    assert str(MAX_AGENDA_ITEM_LENGTH) in too_long
    await bot.press(lan, editor, t(lang, "agenda.add"))
    assert (await bot.send(lan, typed("Dài", MAX_AGENDA_ITEM_LENGTH + 1))).text == too_long
    # Emoji count two, as in Telegram's own limit: fewer characters, the same refusal.
    emoji = "📣" * (MAX_AGENDA_ITEM_LENGTH // 2 + 1)
    assert (await bot.send(lan, emoji)).text == too_long
    assert await stored_titles(bot) == titles

    # The last item allowed is taken; one more is refused with the limit, nothing stored.
    editor = await bot.send(lan, "Mục cuối cùng")
    assert len(await stored_titles(bot)) == MAX_AGENDA_ITEMS
    pressed = bot.emulator.press_button(lan, editor, text=t(lang, "agenda.add"))
    await bot.settle(pressed)
    assert bot.answer(pressed) == t(lang, "agenda.too_many", max=MAX_AGENDA_ITEMS)
    assert await stored_titles(bot) == [*titles, "Mục cuối cùng"]

    # The place and the theme too.
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t(lang, "meeting.kind.thematic"))
    await bot.send(lan, "12/12 19:30")
    place = await bot.send(lan, typed("Hội trường", MAX_PLACE_LENGTH + 1))
    assert place.text == t(lang, "schedule.bad_place", max=MAX_PLACE_LENGTH)
    await bot.send(lan, typed("Hội trường", MAX_PLACE_LENGTH))
    theme = await bot.send(lan, typed("Chủ đề", MAX_AGENDA_ITEM_LENGTH + 1))
    assert theme.text == t(lang, "schedule.bad_theme", max=MAX_AGENDA_ITEM_LENGTH)
    assert len(await bot.rows(Meeting)) == 1


# --- the longest agenda reaches members whole, and they answer it ------------------------------


def invitations_to(bot: RunningBot, user: EmuUser) -> list[SentMessage]:
    labels = {bot.t(lang, "rsvp.attend") for lang in ("vi", "en")}
    return [m for m in bot.emulator.messages(user.id) if labels & set(m.button_texts())]


async def test_the_longest_agenda_reaches_members_whole_and_absent_asks_the_reason(
    bot: RunningBot, lang: str
) -> None:
    t = bot.t
    cell_name = typed("Chi bộ", MAX_NAME_LENGTH)
    cell = await cell_with_members(bot, ["Lê Văn Minh"], lang, cell_name=cell_name)
    lan, minh = cell.secretary, cell.members[0]
    theme = typed("Chủ đề", MAX_AGENDA_ITEM_LENGTH)
    place = typed("Hội trường", MAX_PLACE_LENGTH)
    card = await schedule(bot, lan, lang, "meeting.kind.thematic", "05/12 19:30", place, theme)
    titles = [typed(f"Mục {n}", MAX_AGENDA_ITEM_LENGTH) for n in range(1, MAX_AGENDA_ITEMS + 1)]
    editor = await agenda_of(bot, lan, card, lang, titles)
    assert await stored_titles(bot) == titles
    card = await bot.press(lan, editor, t(lang, "agenda.done"))
    await bot.press(lan, card, t(lang, "meeting.broadcast"))

    [meeting] = await bot.rows(Meeting)
    heading = summary(meeting, cell_name)
    lines = [
        Text("agenda.line", {"number": n, "title": title}) for n, title in enumerate(titles, 1)
    ]
    whole = t(lang, "invitation.text", summary=heading, agenda=lines)
    # One message, as long as it is: no "…" in place of its end.
    [invitation] = invitations_to(bot, minh)
    assert invitation.text == whole

    reasons = await bot.press(minh, invitation, t(lang, "rsvp.absent"))
    assert reasons.text == t(lang, "rsvp.ask_reason", summary=heading)
    assert t(lang, "rsvp.reason.other") in reasons.button_texts()
    asked = await bot.press(minh, reasons, t(lang, "rsvp.reason.other"))
    assert asked.text == t(lang, "rsvp.ask_note")
    note = typed("Đi công tác", MAX_REASON_NOTE)
    answered = await bot.send(minh, note)
    assert answered.text == t(
        lang,
        "invitation.answered",
        invitation=Text("invitation.text", {"summary": heading, "agenda": lines}),
        answer=Text("rsvp.answer.absent", {"reason": note}),
    )
    assert answered.button_texts() == [t(lang, "rsvp.attend"), t(lang, "rsvp.absent")]


# --- texts longer than a message: split, never cut ----------------------------------------------


async def open_tasks_of_last_month(bot: RunningBot, count: int) -> list[str]:
    """An adopted resolution of a past meeting of the (only) cell, whose ``count`` open tasks
    come back under the review item of its next regular meeting."""
    now = bot.clock.now()
    [cell] = await bot.rows(Cell)
    [secretary] = await bot.rows(Person, Person.full_name == "Nguyễn Thị Lan")
    descriptions = [typed(f"Nhiệm vụ {n}", 300) for n in range(1, count + 1)]
    async with bot.database.transaction() as session:
        past = Meeting(
            cell_id=cell.id,
            kind=MeetingKind.REGULAR,
            status=MeetingStatus.SCHEDULED,
            starts_at=now - timedelta(days=25),
            ends_at=now - timedelta(days=25, hours=-2),
            place="Hội trường",
            version=1,
            created_at=now - timedelta(days=30),
        )
        session.add(past)
        await session.flush()
        resolution = Resolution(
            meeting_id=past.id, status=ResolutionStatus.ADOPTED, created_at=past.starts_at
        )
        session.add(resolution)
        await session.flush()
        session.add_all(
            ResolutionTask(
                resolution_id=resolution.id,
                description=description,
                person_id=secretary.id,
                status=TaskStatus.OPEN,
                created_at=past.starts_at,
            )
            for description in descriptions
        )
    return descriptions


def assert_whole(parts: list[SentMessage], lines: list[str], buttons: list[str]) -> None:
    """Several messages, each within the limit, that hold every line whole and carry the
    buttons on the last only."""
    assert len(parts) > 1
    assert all(telegram_length(m.text or "") <= TELEGRAM_TEXT_LIMIT for m in parts)
    assert all(any(line in (m.text or "") for m in parts) for line in lines)
    assert [m.button_texts() for m in parts[:-1]] == [[]] * (len(parts) - 1)
    assert parts[-1].button_texts() == buttons


async def test_a_long_review_splits_the_card_and_invitation_with_the_buttons_last(
    bot: RunningBot,
) -> None:
    t, emu = bot.t, bot.emulator
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    lan, minh = cell.secretary, cell.members[0]
    tasks = await open_tasks_of_last_month(bot, 15)

    # The card, edited in place from the confirmation, goes on in a new message.
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.regular"))
    await bot.send(lan, "05/12 19:30")
    confirm = await bot.send(lan, "Hội trường")
    shown = emu.message_count(lan.id)
    await bot.press(lan, confirm, t("vi", "schedule.create"))
    card = [confirm, *emu.messages(lan.id)[shown:]]
    card_buttons = emu.messages(lan.id)[-1].button_texts()
    assert t("vi", "meeting.broadcast") in card_buttons
    assert_whole(card, tasks, card_buttons)
    assert (card[0].text or "").startswith(t("vi", "meeting.kind.regular"))

    # The editor, after a press and after a typed item: its buttons come last each time.
    await bot.press(lan, card[-1], t("vi", "meeting.edit_agenda"))
    await bot.press(lan, bot.last(lan.id), t("vi", "agenda.add"))
    shown = emu.message_count(lan.id)
    await bot.send(lan, "Góp ý dự thảo văn kiện Đại hội")
    editor = emu.messages(lan.id)[shown:]
    added = "7. Góp ý dự thảo văn kiện Đại hội"
    assert added in editor[-1].button_texts()
    assert_whole(editor, [*tasks, added], editor[-1].button_texts())
    await bot.press(lan, editor[-1], t("vi", "agenda.done"))

    # The invitation: its parts in order, the answer buttons under the last.
    shown = emu.message_count(minh.id)
    await bot.press(lan, bot.last(lan.id), t("vi", "meeting.broadcast"))
    *invitation, calendar = emu.messages(minh.id)[shown:]
    assert calendar.document is not None
    assert_whole(invitation, tasks, [t("vi", "rsvp.attend"), t("vi", "rsvp.absent")])
    assert (invitation[0].text or "").startswith("📣")

    # Absent: the question replaces the last part, whole; the answer brings the agenda back.
    [meeting] = await bot.rows(Meeting, Meeting.starts_at > bot.clock.now())
    [cell_row] = await bot.rows(Cell)
    reasons = await bot.press(minh, invitation[-1], t("vi", "rsvp.absent"))
    assert reasons.text == t("vi", "rsvp.ask_reason", summary=summary(meeting, cell_row.name))
    shown = emu.message_count(minh.id)
    await bot.press(minh, reasons, t("vi", "rsvp.reason.illness"))
    answered = [reasons, *emu.messages(minh.id)[shown:]]
    assert_whole(answered, tasks, [t("vi", "rsvp.attend"), t("vi", "rsvp.absent")])
    assert (answered[-1].text or "").endswith(
        t("vi", "rsvp.answer.absent", reason=Text("rsvp.reason.illness"))
    )


async def test_a_digest_of_many_cells_arrives_whole_before_its_files(bot: RunningBot) -> None:
    t, emu = bot.t, bot.emulator
    hung = emu.user(30_000, "Trần Văn Hùng")
    await join(bot, hung, await setup_link(bot), "vi")
    names = [typed(f"Chi bộ {n:02d}", MAX_NAME_LENGTH) for n in range(1, 41)]
    for name in names:
        link_in(await bot.send(hung, f"/newcell {name}"))
    # Past the cutoff day with no meeting: every cell is one to look at.
    bot.clock.set(datetime(2026, 12, 15, 9, 0, tzinfo=VIETNAM))
    choose = await bot.send(hung, "/digest")
    shown = emu.message_count(hung.id)
    await bot.press(hung, choose, t("vi", "digest.period.month"))
    *summary_parts, chart, workbook = emu.messages(hung.id)[shown:]
    assert chart.document is not None and workbook.document is not None
    assert_whole(summary_parts, names, [])
    assert (summary_parts[0].text or "").startswith("📊")


# --- the emulator holds the bot to Telegram's limit ---------------------------------------------


async def test_the_emulator_refuses_a_text_longer_than_telegram_allows(
    emulator: BotApiEmulator,
) -> None:
    user = emulator.user(1001, "Alice")
    emulator.send_text(user, "/start")  # a bot may write to whoever wrote to it
    async with Bot(TOKEN, base_url=emulator.base_url) as client:
        longest = await client.send_message(user.id, "😀" * (TELEGRAM_TEXT_LIMIT // 2))
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await client.send_message(user.id, "😀" * (TELEGRAM_TEXT_LIMIT // 2) + "a")
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await client.edit_message_text("a" * (TELEGRAM_TEXT_LIMIT + 1), user.id, longest.id)
