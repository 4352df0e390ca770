"""Free-text names typed in chat: a person's full name, a cell's name."""

from __future__ import annotations

import unicodedata

MAX_NAME_LENGTH = 120


def clean_name(text: str) -> str | None:
    """The name normalised (NFC, single spaces), or None when it is not a plausible name.

    Vietnamese names arrive in both composed and decomposed Unicode depending on the keyboard
    (Telex/VNI input methods differ), so they are composed before being stored or compared.
    """
    name = " ".join(unicodedata.normalize("NFC", text).split())
    if not name or len(name) > MAX_NAME_LENGTH or name.startswith("/"):
        return None
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return None
    if not any(ch.isalpha() for ch in name):
        return None
    return name
