"""Every message the code can say exists in Vietnamese and English, with the same blanks."""

from __future__ import annotations

import ast
import string
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from chat.i18n import LANGUAGES, LOCALE_DIR, Translator
from domain.messages import Text
from tests.conftest import VIETNAM

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES = (
    "bot",
    "chat",
    "handlers",
    "services",
    "domain",
    "scheduler",
    "storage",
    "reports",
)
# How the code marks catalogue keys: Text("key", ...), refused("key", ...) and N_("key").
# The calls are found by walking each module's syntax tree, so a call nested in another's
# arguments, in a comprehension or in a lambda counts like any other, whatever an
# extractor's version does with nesting.
KEY_FUNCTIONS = frozenset({"Text", "refused", "N_"})


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def keys_in(source: str) -> list[tuple[str, int]]:
    """(key, line) of every catalogue key marked in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and _called_name(node) in KEY_FUNCTIONS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.args[0].value, node.lineno))
    return found


def used_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for key, line in keys_in(path.read_text(encoding="utf-8")):
                keys.setdefault(key, f"{path.relative_to(ROOT)}:{line}")
    return keys


def catalogue(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "chibo.po").open("rb") as handle:
        return read_po(handle)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_keys_are_found_nested_and_in_comprehensions() -> None:
    source = (
        'reply = Text("outer", {"inner": Text("nested", {"deeper": N_("deepest")})})\n'
        'lines = [Text("per_item", {"n": n}) for n in range(3)]\n'
        'check = lambda: refused("in_lambda")\n'
        "dynamic = Text(key_variable)\n"
    )
    assert sorted(key for key, _ in keys_in(source)) == [
        "deepest",
        "in_lambda",
        "nested",
        "outer",
        "per_item",
    ]


def test_extraction_finds_the_code_s_messages() -> None:
    keys = used_keys()
    assert "error.generic" in keys and "join.done.member" in keys
    assert len(keys) > 50


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_used_message_is_translated(language: str) -> None:
    messages = {m.id: m for m in catalogue(language) if m.id}
    missing = {key: where for key, where in used_keys().items() if key not in messages}
    untranslated = [m.id for m in messages.values() if not m.string or m.fuzzy]
    assert missing == {}, f"keys used in code but absent from the {language} catalogue"
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_dead_messages(language: str) -> None:
    used = used_keys()
    dead = [m.id for m in catalogue(language) if m.id and m.id not in used]
    assert dead == []


def test_languages_share_the_same_placeholders() -> None:
    vietnamese = {m.id: m.string for m in catalogue("vi") if m.id}
    english = {m.id: m.string for m in catalogue("en") if m.id}
    assert set(vietnamese) == set(english)
    mismatched = {
        key: (placeholders(vietnamese[key]), placeholders(english[key]))
        for key in vietnamese
        if placeholders(str(vietnamese[key])) != placeholders(str(english[key]))
    }
    assert mismatched == {}


def test_dates_in_vietnamese_style() -> None:
    translator = Translator(VIETNAM, "vi")
    meeting = datetime(2026, 12, 15, 19, 30, tzinfo=VIETNAM)
    assert translator.format_datetime(meeting, "vi") == "Thứ Ba, 15/12/2026 19:30"
    assert translator.format_datetime(meeting, "en") == "Tue 15 Dec 2026, 19:30"


def test_rendering_nests_texts_and_falls_back_to_default_language() -> None:
    translator = Translator(VIETNAM, "vi")
    text = Text("members.status_changed", {"status": Text("status.probationary")})
    assert translator.render(text, "vi") == "Trạng thái mới: Dự bị"
    assert translator.render(text, "en") == "New status: Probationary"
    assert translator.render(text, "fr") == "Trạng thái mới: Dự bị"


def test_one_instant_is_shown_in_each_translators_own_zone() -> None:
    """Formatted dates are remembered; an instant written in another zone, or shown by a
    deployment in another zone, is not taken for one already formatted."""
    instant = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
    hanoi = Translator(ZoneInfo("Asia/Ho_Chi_Minh"), "vi")
    london = Translator(ZoneInfo("Europe/London"), "en")
    tokyo = Translator(ZoneInfo("Asia/Tokyo"), "en")
    shown_in_hanoi = hanoi.format_datetime(instant, "vi")
    assert "19:30" in shown_in_hanoi
    assert "12:30" in london.format_datetime(instant, "en")
    assert "21:30" in tokyo.format_datetime(instant.astimezone(ZoneInfo("Asia/Tokyo")), "en")
    # The same instant, written in Tokyo's time, is still 19:30 in Hanoi.
    assert hanoi.format_datetime(instant.astimezone(ZoneInfo("Asia/Tokyo")), "vi") == (
        shown_in_hanoi
    )
