"""Control, bidi and zero-width characters in free text, and bytes no database takes: cleaned
where they enter, so nothing stored, broadcast or exported carries them, and a NUL in a link
or a button is an unknown link or button, not a failure."""

from __future__ import annotations

import io
import unicodedata
from datetime import datetime
from typing import Any

import docx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from domain.meetings import MAX_PLACE_LENGTH, MeetingKind
from domain.names import clean_name
from domain.text import ZERO_WIDTH_JOINER, clean_text, is_token
from emulator import EmuUser
from services import pending, rsvp
from services.cells.creation import ASK_CELL_NAME
from services.meetings import agenda, scheduling
from services.meetings.common import Draft
from services.minutes.record import ASK_FIELD
from services.minutes.resolution import ASK_TASK
from services.papers import assigning
from services.people import Caller
from storage.models import (
    AgendaItem,
    CallbackAction,
    Cell,
    Invitation,
    Meeting,
    PendingInput,
    Person,
    Resolution,
    ResolutionTask,
)
from tests.conftest import VIETNAM
from tests.harness import (
    RunningBot,
    cell_with_members,
    forged_press,
    held_and_minutes_opened,
    join,
    link_in,
    setup_link,
    token_of,
)

# What a hostile or careless user can type or paste: C0 and C1 controls (NUL, BEL, backspace,
# ESC, DEL, CSI), line breaks of every kind, bidi overrides, embeddings, isolates and marks,
# zero-width characters, a BOM, a soft hyphen and an invisible tag letter.
NASTY = (
    "\x00\x07\x08\x0b\x0c\x1b\x7f\x85\x9b\t\r\n\u2028\u2029"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\U000e0041"
)
VIETNAMESE_LETTERS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    "àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
    "ĐĂÂÊÔƠƯÀẢÃÁẠỒỔỖỐỘỜỞỠỚỢ"
)
EMOJI_SEQUENCES = [
    "👨\u200d👩\u200d👧",
    "🏳\ufe0f\u200d🌈",
    "❤\ufe0f\u200d🔥",
    "👩🏽\u200d💻",
    "🧑\u200d⚕\ufe0f",
]

nasty_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(NASTY),
        st.sampled_from(VIETNAMESE_LETTERS + " .,;:-/"),
        st.characters(codec="utf-8"),  # any character UTF-8 can carry: no lone surrogate
    ),
    max_size=40,
)
# What JSON can carry to the bot besides: lone surrogates and noncharacters.
any_text = st.one_of(nasty_text, st.text(alphabet=st.sampled_from(NASTY + "\ud800\udfff\ufffe")))
vietnamese_words = st.lists(
    st.text(alphabet=st.sampled_from(VIETNAMESE_LETTERS), min_size=1, max_size=8),
    min_size=1,
    max_size=6,
).map(" ".join)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


def is_clean(text: str, *, multiline: bool) -> bool:
    """No character that cleaning removes is left: the property every stored text has."""
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if ch == ZERO_WIDTH_JOINER:
            before = text[:index].rstrip("\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")
            after = text[index + 1 : index + 2]
            if not (before and after) or not (
                unicodedata.category(before[-1]) == unicodedata.category(after) == "So"
            ):
                return False
        elif ch == "\n":
            if not multiline:
                return False
        elif category in ("Cc", "Cf", "Cs") or ch in "\ufffe\uffff" or (ch.isspace() and ch != " "):
            return False
    lines = text.split("\n")
    return all(line == line.strip() and "  " not in line for line in lines)


# --- the cleaning function ---------------------------------------------------------------


@given(any_text, st.booleans())
@settings(max_examples=500)
def test_cleaned_text_holds_no_invisible_character(raw: str, multiline: bool) -> None:
    cleaned = clean_text(raw, multiline=multiline)
    assert is_clean(cleaned, multiline=multiline)
    assert "\n\n\n" not in cleaned and cleaned == cleaned.strip()
    assert unicodedata.is_normalized("NFC", cleaned)


@given(any_text, st.booleans())
@settings(max_examples=500)
def test_cleaning_twice_changes_nothing(raw: str, multiline: bool) -> None:
    once = clean_text(raw, multiline=multiline)
    assert clean_text(once, multiline=multiline) == once


@given(any_text, st.booleans())
@settings(max_examples=200)
def test_cleaned_text_can_be_written_to_a_word_document(raw: str, multiline: bool) -> None:
    document = docx.Document()
    document.add_paragraph(clean_text(raw, multiline=multiline))
    document.add_table(rows=1, cols=1).cell(0, 0).text = clean_text(raw, multiline=multiline)
    document.save(io.BytesIO())


def test_raw_control_characters_are_what_word_documents_refuse() -> None:
    """What the cleaning is for: python-docx refuses the raw text."""
    with pytest.raises(ValueError, match="XML compatible"):
        docx.Document().add_paragraph("Hội trường\x1b[1m\x07")


@given(vietnamese_words)
def test_vietnamese_text_is_kept_as_typed(text: str) -> None:
    assert clean_text(text, multiline=False) == text
    assert clean_text(text, multiline=True) == text
    # Decomposed (as some keyboards send it), it is stored composed.
    assert clean_text(unicodedata.normalize("NFD", text), multiline=False) == text


@given(
    st.lists(vietnamese_words, min_size=1, max_size=4), st.sampled_from(["\n", "\r\n", "\u2028"])
)
def test_multiline_text_keeps_its_lines(lines: list[str], separator: str) -> None:
    assert clean_text(separator.join(lines), multiline=True) == "\n".join(lines)
    assert clean_text(separator.join(lines), multiline=False) == " ".join(lines)


@pytest.mark.parametrize(
    ("raw", "multiline", "cleaned"),
    [
        ("Hội trường\x1b[1m\x07 tầng\x08 2", False, "Hội trường[1m tầng 2"),
        ("\u202eHội trường tầng 2\u202c", False, "Hội trường tầng 2"),
        ("Nguyễn\u200b Văn\u2060 An\ufeff", False, "Nguyễn Văn An"),
        ("Lê\u2067 Thị\u2069 Hoa\u200f", False, "Lê Thị Hoa"),
        ("Báo cáo\r\n\r\n\r\n\tquý IV\x00", True, "Báo cáo\n\nquý IV"),
        ("Báo cáo\r\n\r\n\tquý IV", False, "Báo cáo quý IV"),
        ("\x00\u202e\u200b \t", False, ""),
        # A joiner between two emoji builds one emoji; elsewhere it is an invisible letter.
        *[(f"Gia đình {e}", False, f"Gia đình {e}") for e in EMOJI_SEQUENCES],
        ("Ng\u200duyễn", False, "Nguyễn"),
        ("👨\u200d", False, "👨"),
    ],
)
def test_what_cleaning_does(raw: str, multiline: bool, cleaned: str) -> None:
    assert clean_text(raw, multiline=multiline) == cleaned


def test_names_are_cleaned_the_same_way() -> None:
    assert clean_name("\u202eNguyễn\x00 Văn\u200b An\x1b") == "Nguyễn Văn An"
    assert clean_name("\x00\u202e\u200b") is None


@pytest.mark.parametrize(
    ("raw", "token"),
    [
        ("Q3v_0xZ-aB9cD1eF", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("Q3v_0xZ-aB9cD1eF\x00", False),
        ("abc def", False),
        ("abc/def", False),
        ("abcđef", False),
    ],
)
def test_tokens_are_recognised_by_their_alphabet(raw: str, token: bool) -> None:
    assert is_token(raw) is token


# --- through the bot, on SQLite and PostgreSQL ---------------------------------------------


async def test_a_start_link_with_a_nul_byte_is_an_invalid_link(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    setup_token = (await setup_link(bot)).split("start=")[1]
    stranger = emu.user(30_001, "Trần Văn Hùng")
    for payload in ("abc\x00def", f"{setup_token}\x00", "\x00", "\u202e" + setup_token, "a" * 65):
        reply = await bot.send(stranger, f"/start {payload}")
        assert reply.text == t("vi", "invite.problem.unknown")
    # The real link still works: nothing was half-redeemed.
    asked = await bot.send(stranger, f"/start {setup_token}")
    assert asked.text != t("vi", "invite.problem.unknown")
    assert asked.text != t("vi", "error.generic")


async def test_a_button_with_a_nul_byte_is_a_stale_button(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    user = emu.user(30_002, "Trần Văn Hùng")
    menu = await bot.send(user, "/lang")
    english = str(menu.find_button(text="English")["callback_data"])
    for data in (english + "\x00", "\x00", "\x00" * 64, "lang\x00set"):
        update_id = forged_press(bot, user, menu, data)
        await bot.settle(update_id)
        assert bot.answer(update_id) == t("vi", "error.stale_button")
    assert bot.last(user.id).text == t("vi", "lang.choose")
    # The real button still works.
    assert (await bot.press(user, menu, "English")).text == "Language set to English."


async def test_a_button_on_an_inline_message_is_refused_clearly(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    user = emu.user(30_003, "Trần Văn Hùng")
    menu = await bot.send(user, "/lang")
    english = str(menu.find_button(text="English")["callback_data"])
    # A press on a message sent "via" the bot in another chat: Telegram gives no message.
    update_id = emu.inject_update(
        {
            "callback_query": {
                "from": user.to_api(),
                "inline_message_id": "AgAAAL0xMjM0NTY3ODkw",
                "data": english,
            }
        }
    )
    await bot.settle(update_id)
    answer = emu.callback_answer(update_id)
    assert answer is not None
    assert answer.get("text") == t("vi", "error.button_elsewhere")
    assert answer.get("show_alert") is True
    # The language did not change behind the user's back.
    people = await bot.rows(Person, Person.telegram_user_id == user.id)
    assert [p.language for p in people] in ([], [None])


async def test_dirty_names_places_and_minutes_are_stored_clean_and_exported(
    bot: RunningBot,
) -> None:
    emu, t = bot.emulator, bot.t
    supervisor = emu.user(31_000, "Trần\u202e Văn Hùng")
    secretary = emu.user(31_001, "Nguyễn\x1b Thị\u200b Lan\u2066")
    await join(bot, supervisor, await setup_link(bot), "vi", typed_name="Trần Văn\x00 Hùng\x07")
    link = link_in(await bot.send(supervisor, "/newcell Chi bộ\u202e Phòng\x08 Tổng hợp\x00"))
    # The name Telegram gives is offered cleaned, as its button says.
    question = await bot.send(secretary, f"/start {link.split('start=')[1]}")
    assert f"✅ {clean_name(secretary.first_name)}" in question.button_texts()
    await bot.press(secretary, question, "✅ Nguyễn Thị Lan")
    names = {p.telegram_user_id: p.full_name for p in await bot.rows(Person)}
    assert names == {supervisor.id: "Trần Văn Hùng", secretary.id: "Nguyễn Thị Lan"}
    [cell] = await bot.rows(Cell)
    assert cell.name == "Chi bộ Phòng Tổng hợp"
    group = emu.group(-1_003_100, "\u202eNhóm\x07 Chi bộ\u200b")
    linked = await bot.send(secretary, "/linkgroup", chat=group)
    assert linked.text == t("vi", "linkgroup.done", cell=cell.name, group="Nhóm Chi bộ")

    # A thematic meeting: a place and a theme pasted with terminal colours and an override.
    kinds = await bot.send(secretary, "/schedule")
    await bot.press(secretary, kinds, t("vi", "meeting.kind.thematic"))
    await bot.send(secretary, "05/12 19:30")
    # Nothing but invisible characters is as good as nothing: the same answer, still asked.
    bad_place = t("vi", "schedule.bad_place", max=MAX_PLACE_LENGTH)
    assert (await bot.send(secretary, "\x00\u202e\u200b")).text == bad_place
    assert (await bot.send(secretary, " ")).text == bad_place
    await bot.send(secretary, "\x1b[1mHội trường\x07 tầng 2\u202e")
    confirm = await bot.send(secretary, "Học tập\u200b tư tưởng\x08 Hồ Chí Minh\u2069")
    card = await bot.press(secretary, confirm, t("vi", "schedule.create"))
    [meeting] = await bot.rows(Meeting)
    assert (meeting.place, meeting.theme) == (
        "[1mHội trường tầng 2",
        "Học tập tư tưởng Hồ Chí Minh",
    )
    editor = await bot.press(secretary, card, t("vi", "meeting.edit_agenda"))
    await bot.press(secretary, editor, t("vi", "agenda.add"))
    card = await bot.press(
        secretary, await bot.send(secretary, "Góp ý\ufeff dự thảo\x00"), t("vi", "agenda.done")
    )
    assert "Góp ý dự thảo" in [i.title for i in await bot.rows(AgendaItem)]

    # Held, and its minutes written with more of the same.
    editor = await held_and_minutes_opened(bot, secretary, card, local(2026, 12, 5, 20, 0))
    await bot.press(secretary, editor, t("vi", "minutes.chair_button"))
    await bot.send(secretary, "Nguyễn\u200b Thị Lan\x07")
    await bot.press(secretary, bot.last(secretary.id), t("vi", "minutes.note_taker_button"))
    editor = await bot.send(secretary, "\u202eTrần Văn\x00 Hùng")
    [meeting] = await bot.rows(Meeting)
    assert (meeting.chair, meeting.note_taker) == ("Nguyễn Thị Lan", "Trần Văn Hùng")
    [item] = [b for b in editor.button_texts() if "Góp ý dự thảo" in b]
    item_view = await bot.press(secretary, editor, item)
    await bot.press(secretary, item_view, t("vi", "minutes.report_button"))
    await bot.send(secretary, "Đồng chí\x1b[31m Lan\u202e báo cáo.\r\n\r\n\r\nHết\x00.")
    resolution = await bot.press(
        secretary, bot.last(secretary.id), t("vi", "minutes.resolution_button")
    )
    await bot.press(secretary, resolution, t("vi", "resolution.text_button"))
    await bot.send(secretary, "Chi bộ\u200b thống nhất\x07:\nHoàn thành\u2066 báo cáo.")
    [resolution_row] = await bot.rows(Resolution)
    assert resolution_row.text == "Chi bộ thống nhất:\nHoàn thành báo cáo."
    [report] = [i.report for i in await bot.rows(AgendaItem) if i.report]
    assert report == "Đồng chí[31m Lan báo cáo.\n\nHết."

    editor = await bot.press(secretary, bot.last(secretary.id), t("vi", "resolution.back"))
    editor = await bot.press(secretary, editor, t("vi", "minutes.finish"))
    before = emu.message_count(secretary.id)
    await bot.press(secretary, editor, t("vi", "minutes.export"))
    [exported] = emu.messages(secretary.id)[before:]
    assert exported.document is not None, exported.text
    document = docx.Document(io.BytesIO(exported.content or b""))
    text = "\n".join(
        [p.text for p in document.paragraphs]
        + [c.text for table in document.tables for row in table.rows for c in row.cells]
    )
    for shown in (
        "[1mHội trường tầng 2",
        "Học tập tư tưởng Hồ Chí Minh",
        "Đồng chí[31m Lan báo cáo.",
        "Chi bộ thống nhất:",
        "Nguyễn Thị Lan",
    ):
        assert shown in text


class Questions:
    """A cell with a held meeting (minutes open), one its members are invited to and one in
    preparation, where each example answers the bot's questions with text of its own."""

    def __init__(self, bot: RunningBot, cell: Any, member_token: str) -> None:
        self.bot, self.cell, self.member_token = bot, cell, member_token
        self.examples = 0

    @classmethod
    async def set_up(cls, bot: RunningBot) -> Questions:
        t = bot.t
        cell = await cell_with_members(bot, ["Lê Văn Minh"])
        lan = cell.secretary
        # Held, invited to, and still being prepared (its agenda editable).
        for when in ("05/12 19:30", "05/01/2027 19:30", "05/02/2027 19:30"):
            kinds = await bot.send(lan, "/schedule")
            await bot.press(lan, kinds, t("vi", "meeting.kind.regular"))
            await bot.send(lan, when)
            confirm = await bot.send(lan, "Hội trường")
            card = await bot.press(lan, confirm, t("vi", "schedule.create"))
            if when != "05/02/2027 19:30":
                await bot.press(lan, card, t("vi", "meeting.broadcast"))
        bot.clock.set(local(2026, 12, 5, 20, 0))
        roll = await bot.press(
            lan, await bot.send(lan, "/attendance"), t("vi", "attendance.open_roll")
        )
        asked = await bot.press(lan, roll, t("vi", "roll.close"))
        await bot.press(lan, asked, t("vi", "roll.confirm_unexcused"))
        return cls(bot, cell, token_of(link_in(await bot.send(lan, "/invite"))))

    async def answer(self, user: EmuUser, kind: str, payload: dict[str, Any], typed: str) -> None:
        """The bot asked ``user`` a question of ``kind``; the user types ``typed``."""
        bot = self.bot
        async with bot.database.transaction() as session:
            await pending.ask(
                session,
                caller=Caller(user.id, user.id, user.first_name, private_chat=True),
                kind=kind,
                payload=payload,
                now=bot.clock.now(),
            )
        reply = await bot.send(user, typed)
        assert reply.text != bot.t("vi", "error.generic")

    async def pending_payload(self, user: EmuUser) -> dict[str, Any]:
        [question] = await self.bot.rows(PendingInput, PendingInput.telegram_user_id == user.id)
        return dict(question.payload)


@pytest.fixture
async def questions(bot: RunningBot) -> Questions:
    """Set up once for all of a test's examples: they share the bot and its database."""
    return await Questions.set_up(bot)


@given(raw=nasty_text)
@settings(
    max_examples=25,
    deadline=None,
    # Each example is seven round trips through the bot: a failure is reported as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
async def test_every_free_text_answer_is_stored_clean(
    bot: RunningBot, questions: Questions, raw: str
) -> None:
    """Whatever is typed as a cell's name, a place, a theme, an agenda item, a paper's topic,
    a reason for absence, the minutes, the resolution or a task, or given as one's name: no apology,
    and only clean text is stored."""
    q = questions
    q.examples += 1
    typed = f"Tên {q.examples} {raw}"
    one_line = clean_text(typed, multiline=False)
    lan, minh, supervisor = q.cell.secretary, q.cell.members[0], q.cell.supervisor
    [minh_person] = await bot.rows(Person, Person.telegram_user_id == minh.id)
    [cell] = await bot.rows(Cell, Cell.name == "Chi bộ Phòng Tổng hợp")
    held, coming, prepared = sorted(await bot.rows(Meeting), key=lambda m: m.starts_at)
    prepared_item = min(
        await bot.rows(AgendaItem, AgendaItem.meeting_id == prepared.id), key=lambda i: i.position
    )
    held_item = min(
        await bot.rows(AgendaItem, AgendaItem.meeting_id == held.id), key=lambda i: i.position
    )
    draft = Draft(
        cell.id, MeetingKind.THEMATIC, starts_at=local(2027, 2, 5, 19, 30), place="Hội trường"
    ).to_json()

    await q.answer(supervisor, ASK_CELL_NAME, {"organisation_id": cell.organisation_id}, typed)
    named = await bot.rows(Cell, Cell.id != cell.id)
    assert all(is_clean(c.name, multiline=False) for c in named)
    assert clean_name(typed) in {c.name for c in named}

    await q.answer(lan, scheduling.ASK_PLACE, {"draft": draft}, typed)
    assert (await q.pending_payload(lan))["draft"]["place"] == one_line

    await q.answer(lan, scheduling.ASK_THEME, {"draft": draft}, typed)
    themes = [
        a.payload["draft"]["theme"]
        for a in await bot.rows(CallbackAction, CallbackAction.kind == "schedule.create")
        if a.payload["draft"].get("theme")
    ]
    assert one_line in themes and all(is_clean(theme, multiline=False) for theme in themes)

    await q.answer(lan, agenda.ASK_AGENDA_EDIT, {"item_id": prepared_item.id}, typed)
    [item] = await bot.rows(AgendaItem, AgendaItem.id == prepared_item.id)
    assert item.title == one_line

    payload = {"meeting_id": coming.id, "person_id": minh_person.id}
    await q.answer(lan, assigning.ASK_TOPIC, payload, typed)
    assert (await q.pending_payload(lan))["topic"] == one_line

    await q.answer(minh, rsvp.ASK_NOTE, {"meeting_id": coming.id}, typed)
    [invitation] = await bot.rows(
        Invitation, Invitation.meeting_id == coming.id, Invitation.person_id == minh_person.id
    )
    assert invitation.reason_note == one_line

    resolution = f"Nghị quyết {q.examples}\n{raw}"
    payload = {"meeting_id": held.id, "field": "resolution"}
    await q.answer(lan, ASK_FIELD, payload, resolution)
    [row] = await bot.rows(Resolution, Resolution.meeting_id == held.id)
    assert row.text == clean_text(resolution, multiline=True)

    task = f"Nhiệm vụ {q.examples} {raw.replace(';', ',')}"  # a semicolon starts the due day
    payload = {"meeting_id": held.id, "person_id": minh_person.id}
    await q.answer(lan, ASK_TASK, payload, task)
    tasks = [created.description for created in await bot.rows(ResolutionTask)]
    assert clean_text(task, multiline=False) in tasks

    # A newcomer's name: as Telegram gives it (offered on a button), and as typed.
    newcomer = bot.emulator.user(40_000 + q.examples, typed)
    question = await bot.send(newcomer, f"/start {q.member_token}")
    assert f"✅ {clean_name(typed)}" in question.button_texts()
    name = f"{raw} Họ Tên {q.examples}"
    assert (await bot.send(newcomer, name)).text != bot.t("vi", "error.generic")
    joined = await bot.rows(Person, Person.telegram_user_id == newcomer.id)
    # A name refused (one starting with "/") leaves the question open, nobody joined.
    assert [p.full_name for p in joined] == [n for n in [clean_name(name)] if n is not None]

    report = f"Báo cáo {q.examples}\n{raw}"
    payload = {"meeting_id": held.id, "field": "report", "item_id": held_item.id}
    await q.answer(lan, ASK_FIELD, payload, report)
    [item] = await bot.rows(AgendaItem, AgendaItem.id == held_item.id)
    assert item.report == clean_text(report, multiline=True)
