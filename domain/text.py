"""Free text as it arrives from chat, cleaned once where it enters: typed answers, command
arguments, Telegram names and titles, file names.

What goes, and why:
- control characters (C0, C1, DEL): invisible, they scramble terminals and logs, and XML
  (hence DOCX) refuses them, so a minutes export would fail; PostgreSQL refuses NUL outright.
  In multiline text a line break stays (CR LF, CR, vertical tab, form feed, U+0085, U+2028
  and U+2029 become LF); a tab, like any other space, becomes a space;
- format characters (Unicode category Cf): the bidi overrides, embeddings and isolates (which
  make "gpj.exe" read as "exe.jpg" and reorder a name in every list it appears in), the
  zero-width space, joiners and word joiner, the BOM, soft hyphens and the invisible "tag"
  letters. One exception: a zero-width joiner *between two emoji* is how Telegram's keyboards
  build 👨‍👩‍👧 or 🏳️‍🌈, and it is kept there (it cannot reorder or hide text);
- lone surrogates and the noncharacters U+FFFE/U+FFFF (and their kin), which are not text.

What stays: letters with their diacritics (composed to NFC, as Vietnamese keyboards send
either form), emoji and their modifiers, every visible symbol. Runs of spaces become one
space, and the ends are stripped (each line's, in multiline text, with at most one empty line
between paragraphs).
"""

from __future__ import annotations

import re
import unicodedata

ZERO_WIDTH_JOINER = "\u200d"
# What may stand between an emoji and the joiner that follows it: the emoji presentation
# selector and the skin tones.
_EMOJI_TRAILERS = frozenset({"\ufe0f"} | {chr(c) for c in range(0x1F3FB, 0x1F400)})
# Vertical tab and form feed are how Word's line and page breaks arrive when pasted.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# Telegram's deep-link payload alphabet, and what secrets.token_urlsafe produces.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def clean_text(raw: str, *, multiline: bool) -> str:
    """``raw`` without control, bidi or zero-width characters, composed, spaces collapsed."""
    text = _LINE_BREAKS.sub("\n", unicodedata.normalize("NFC", raw))
    # Composed again: a dropped character may have stood between a letter and its accent.
    text = unicodedata.normalize("NFC", "".join(_visible(text)))
    if not multiline:
        return " ".join(text.split())
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _visible(text: str) -> list[str]:
    kept = []
    for index, ch in enumerate(text):
        if ch == "\n":
            kept.append(ch)
        elif ch.isspace():
            kept.append(" ")  # tabs, form feeds, no-break spaces
        elif ch == ZERO_WIDTH_JOINER:
            if _joins_emoji(text, index):
                kept.append(ch)
        elif not _invisible(ch):
            kept.append(ch)
    return kept


def _invisible(ch: str) -> bool:
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
        return True
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def _joins_emoji(text: str, index: int) -> bool:
    before = index - 1
    while before >= 0 and text[before] in _EMOJI_TRAILERS:
        before -= 1
    after = index + 1
    return before >= 0 and after < len(text) and _is_emoji(text[before]) and _is_emoji(text[after])


def _is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) == "So"


def is_token(raw: str) -> bool:
    """Whether ``raw`` could be one of our tokens (a button's or an invite link's): anything
    else, such as a forged text with a NUL byte, is unknown without asking the database."""
    return _TOKEN.fullmatch(raw) is not None
