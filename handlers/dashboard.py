"""The supervisors' dashboard over HTTP: a Telegram Mini App served beside the webhook.

Every request carries the Mini App's signed launch data (initData) and is authorised afresh
from it; nothing is kept between requests (no cookie, no session)."""

from __future__ import annotations

from datetime import timedelta

from starlette.routing import BaseRoute

from handlers.common import AppState


def dashboard_routes(state: AppState, bot_token: str, max_age: timedelta) -> list[BaseRoute]:
    """The dashboard's routes, to mount under ``bot.settings.DASHBOARD_PATH``."""
    return []
