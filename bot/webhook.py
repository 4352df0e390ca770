"""chibo's web server: an ASGI app (Starlette, served by uvicorn) in front of the Application:
the supervisors' dashboard (a Telegram Mini App) and a health check, and in webhook mode the
updates Telegram posts.

Every replica behind one URL runs this same app. Nothing lives in one process only: replays
are dropped by update id in the database, questions and buttons are stored rows, and the
outbox is claimed row by row, so any replica may take any update.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta

import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from telegram import Update

from bot.app import ChiboApplication
from bot.settings import DASHBOARD_PATH, Settings
from handlers.admission import handle
from handlers.common import STATE_KEY
from handlers.dashboard import dashboard_routes
from storage.db import Database

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM once it has stopped; for the bot a stop is a normal
    end (exit status 0), so the signals only ask the server to finish."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for stop in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop, self._stop)
        try:
            yield
        finally:
            for stop in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(stop)

    def _stop(self) -> None:
        self.should_exit = True


def asgi_app(application: ChiboApplication, database: Database, settings: Settings) -> Starlette:
    """/healthz, the dashboard under DASHBOARD_PATH, and in webhook mode (CHIBO_WEBHOOK_URL)
    Telegram's updates at WEBHOOK_PATH."""
    state = application.bot_data[STATE_KEY]
    max_age = timedelta(hours=settings.web_app_max_age_hours)
    routes: list[BaseRoute] = [
        Route("/healthz", _health_check(database), methods=["GET"]),
        Mount(DASHBOARD_PATH, routes=dashboard_routes(state, application.bot.token, max_age)),
    ]
    if settings.webhook_url:
        receive = _receiver(application, settings.effective_webhook_secret)
        routes.append(Route(WEBHOOK_PATH, receive, methods=["POST"]))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield

    return Starlette(routes=routes, lifespan=lifespan)


Endpoint = Callable[[Request], Awaitable[Response]]


def _receiver(application: ChiboApplication, secret: str) -> Endpoint:
    async def receive(request: Request) -> Response:
        # Compared as bytes: a header with a character beyond ASCII is refused, not a crash.
        given = request.headers.get(SECRET_HEADER, "").encode("latin-1")
        if not hmac.compare_digest(given, secret.encode()):
            log.warning("webhook call without the secret token refused")
            return Response(status_code=403)
        try:
            update = _update(await request.json(), application)
        except ValueError:  # undecodable JSON included
            log.warning("webhook call refused: the body is not a Telegram update")
            return Response(status_code=400)
        # Answered once admitted and handled: Telegram delivers again only what was not
        # answered 2xx, so an update the database could not take must not be acknowledged.
        return Response(status_code=200 if await handle(application, update) else 503)

    return receive


def _health_check(database: Database) -> Endpoint:
    async def healthz(_: Request) -> Response:
        try:
            async with database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            log.warning("health check: database unreachable")
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return healthz


def _update(data: object, application: ChiboApplication) -> Update:
    """The update in a webhook call's body, or ValueError."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise ValueError("not an update")
    try:
        return Update.de_json(data, application.bot)
    except (AttributeError, KeyError, TypeError, OverflowError, OSError) as error:
        # What PTB's parser raises on a field that is a list, a string or incomplete.
        raise ValueError("not an update") from error


async def serve(application: ChiboApplication, database: Database, settings: Settings) -> None:
    """Run the Application and the web server where ``settings.served_at`` says, until
    uvicorn is told to stop (SIGINT/SIGTERM). Updates come to the webhook with
    CHIBO_WEBHOOK_URL, else by long polling, beside the dashboard at CHIBO_WEB_URL."""
    served_at = settings.served_at
    assert served_at is not None, "no web server to run without CHIBO_WEBHOOK_URL or CHIBO_WEB_URL"
    listen, port = served_at
    server = _Server(
        uvicorn.Config(
            asgi_app(application, database, settings),
            host=listen,
            port=port,
            log_level="warning",
            # uvicorn's own formatters write plain lines: its messages go through the JSON log.
            log_config=None,
            access_log=False,
            lifespan="on",
        )
    )
    updater = application.updater
    assert updater is not None, "the Application is built with its updater"
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        if settings.webhook_url:
            await application.bot.set_webhook(
                url=settings.webhook_url.rstrip("/") + WEBHOOK_PATH,
                secret_token=settings.effective_webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await application.start()
        try:
            await server.serve()
        finally:
            if updater.running:
                await updater.stop()
            await application.stop()
