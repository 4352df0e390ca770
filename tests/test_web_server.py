"""chibo's web server, in both modes: the dashboard mounted under /app beside /healthz, and
Telegram's updates taken only in webhook mode."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from bot import webhook as web_server
from bot.webhook import WEBHOOK_PATH, asgi_app
from handlers.common import STATE_KEY, AppState
from tests.harness import TOKEN, RunningBot


@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_the_dashboard_is_served_under_app_in_both_modes(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    handed: list[tuple[AppState, str, timedelta]] = []

    def dashboard_routes(state: AppState, bot_token: str, max_age: timedelta) -> list[BaseRoute]:
        handed.append((state, bot_token, max_age))

        async def page(_: Request) -> PlainTextResponse:
            return PlainTextResponse("the dashboard")

        return [Route("/", page)]

    monkeypatch.setattr(web_server, "dashboard_routes", dashboard_routes)
    address = "webhook_url" if mode == "webhook" else "web_url"
    settings = bot.settings.model_copy(
        update={address: "https://chibo.example.org", "web_app_max_age_hours": 6}
    )
    transport = httpx.ASGITransport(app=asgi_app(bot.application, bot.database, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://chibo") as http:
        page = await http.get("/app/")
        health = await http.get("/healthz")
        # No secret header: refused in webhook mode; in polling mode there is no such route.
        update = await http.post(WEBHOOK_PATH, json={"update_id": 1})
    assert (page.status_code, page.text) == (200, "the dashboard")
    assert handed == [(bot.application.bot_data[STATE_KEY], TOKEN, timedelta(hours=6))]
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert update.status_code == (403 if mode == "webhook" else 404)
