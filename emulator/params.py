"""Turning Bot API request parameters from the wire into typed Python values.

Clients (PTB included) send every parameter as a string in a form or multipart body, with
non-string values JSON-encoded. The real server coerces them by the method's schema; we
approximate that with a list of parameters that must stay strings and value-shape sniffing
for everything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from .errors import CHAT_NOT_FOUND, bad_request
from .models import FILE_KINDS

# Parameters whose values are free text or opaque identifiers, so "123" or "true" in them
# must not be coerced.
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "title",
        "description",
        "short_description",
        "name",
        "question",
        "explanation",
        "callback_query_id",
        "inline_query_id",
        "shipping_query_id",
        "pre_checkout_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "parse_mode",
        "explanation_parse_mode",
        "question_parse_mode",
        "file_id",
        "action",
        "emoji",
        "language_code",
        "custom_title",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "invite_link",
        "payload",
        "currency",
        "start_parameter",
        "provider_token",
        *FILE_KINDS,
        "thumbnail",
        "certificate",
        "game_short_name",
        "next_offset",
        "address",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "performer",
        "error_message",
        "sticker_set_name",
        "tag",
    }
)

_INT_RE = re.compile(r"-?\d+")
_FLOAT_RE = re.compile(r"-?\d+\.\d*(?:[eE][-+]?\d+)?")


def decode_value(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in STRING_PARAMS:
        return value
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if _INT_RE.fullmatch(value):
        return int(value)
    if _FLOAT_RE.fullmatch(value):
        return float(value)
    return value


def decode_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {name: decode_value(name, value) for name, value in raw.items()}


_Value = TypeVar("_Value")


def _given(name: str, value: _Value | None) -> _Value:
    """A required parameter's value; Telegram's refusal when it is missing or empty."""
    if value is None:
        raise bad_request(f"{name} is empty")
    return value


class Params:
    """Typed, Telegram-flavoured access to one request's parameters."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) is not None

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def req_int(self, name: str) -> int:
        return _given(name, self.opt_int(name))

    def opt_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value)
        raise bad_request(f"invalid {name} specified")

    def req_str(self, name: str) -> str:
        return _given(name, self.opt_str(name))

    def opt_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def number(self, name: str, default: float | None = None) -> float | None:
        value = self.values.get(name)
        if value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def json_value(self, name: str) -> Any:
        """A JSON-typed parameter; tolerates clients that send it undecoded."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_ref(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, bool):
            raise bad_request(CHAT_NOT_FOUND)
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if _INT_RE.fullmatch(text):
            return int(text)
        return text
