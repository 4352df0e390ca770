"""Refusals a use case returns to its caller, each rendered as a translated message."""

from __future__ import annotations

from domain.messages import ArgValue, Text


class Refused(Exception):
    """The request can't be done; ``text`` says why, in catalogue terms."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.key)
        self.text = text


def refused(key: str, **args: ArgValue) -> Refused:
    return Refused(Text(key, dict(args)))
