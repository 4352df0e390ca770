"""Free-text names typed in chat: a person's full name, a cell's name."""

from __future__ import annotations

from domain.text import clean_text

MAX_NAME_LENGTH = 120


def clean_name(text: str) -> str | None:
    """The name cleaned as any typed text (composed, on one line, without invisible
    characters), or None when it is not a plausible name."""
    name = clean_text(text, multiline=False)
    if not name or len(name) > MAX_NAME_LENGTH or name.startswith("/"):
        return None
    if not any(ch.isalpha() for ch in name):
        return None
    return name
