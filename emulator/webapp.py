"""Telegram's part in opening a Mini App (Web App): the launch URL a client opens, carrying
the user's signed launch data (initData) in its fragment.

The data is signed as Telegram signs it
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app): its
fields, but ``hash``, as ``key=value`` lines sorted by key (the data-check-string), signed
with HMAC-SHA256 under the key HMAC-SHA256("WebAppData", bot token), in hex.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from urllib.parse import urlencode

from .models import EmuUser

# The Web App version and platform a current Telegram Desktop announces.
WEB_APP_VERSION = "8.0"
PLATFORM = "tdesktop"
# Telegram's default light and dark themes, as a client passes them (tgWebAppThemeParams).
LIGHT_THEME = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff3",
}
DARK_THEME = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}


def launch_url(
    url: str,
    user: EmuUser,
    bot_token: str,
    now: datetime,
    *,
    language_code: str | None = None,
    theme: dict[str, str] | None = None,
) -> str:
    """The address a Telegram client opens for the Web App at ``url``, for ``user`` at
    ``now``: ``url`` with the launch parameters in its fragment (never sent to the server;
    the page reads them): the signed data, Telegram's version and platform, and the theme
    (``theme`` None: the light one). ``language_code`` None: the user's own."""
    launch = {
        "tgWebAppData": init_data(user, bot_token, now, language_code=language_code),
        "tgWebAppVersion": WEB_APP_VERSION,
        "tgWebAppPlatform": PLATFORM,
        "tgWebAppThemeParams": _json(LIGHT_THEME if theme is None else theme),
    }
    return url + "#" + urlencode(launch)


def init_data(
    user: EmuUser, bot_token: str, now: datetime, *, language_code: str | None = None
) -> str:
    """The signed launch data (what a page reads as ``Telegram.WebApp.initData``)."""
    fields = {
        "query_id": _random_base64url(18),
        "user": _json(_user_fields(user, language_code or user.language_code)),
        "auth_date": str(int(now.timestamp())),
        # Telegram's Ed25519 signature for third parties: random bytes here, as we check
        # only the hash.
        "signature": _random_base64url(64),
    }
    fields["hash"] = _data_hash(fields, bot_token)
    return urlencode(fields)


def _data_hash(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram signs launch data with: of every field but ``hash``, keyed with the
    bot's token."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()) if key != "hash")
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def _user_fields(user: EmuUser, language_code: str | None) -> dict[str, object]:
    """The WebAppUser object: the fields the user has, as Telegram leaves out the others."""
    found: dict[str, object] = {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "username": user.username,
        "language_code": language_code,
    }
    return {**{k: v for k, v in found.items() if v is not None}, "allows_write_to_pm": True}


def _json(value: object) -> str:
    # As Telegram writes it: compact, and letters beyond ASCII left as they are.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _random_base64url(size: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(size)).decode().rstrip("=")
