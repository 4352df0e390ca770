"""Webhook mode: an ASGI app (Starlette, served by uvicorn) in front of the Application.

Every replica behind one URL runs this same app. Nothing lives in one process only: replays
are dropped by update id in the database, questions and buttons are stored rows, and the
outbox is claimed row by row, so any replica may take any update.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.app import ChiboApplication
from handlers.admission import handle
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


def asgi_app(application: ChiboApplication, database: Database, secret: str) -> Starlette:
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

    async def healthz(_: Request) -> Response:
        try:
            async with database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            log.warning("health check: database unreachable")
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _update(data: object, application: ChiboApplication) -> Update:
    """The update in a webhook call's body, or ValueError."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise ValueError("not an update")
    try:
        return Update.de_json(data, application.bot)
    except (AttributeError, KeyError, TypeError, OverflowError, OSError) as error:
        # What PTB's parser raises on a field that is a list, a string or incomplete.
        raise ValueError("not an update") from error


async def serve(
    application: ChiboApplication,
    database: Database,
    *,
    public_url: str,
    listen: str,
    port: int,
    secret: str,
) -> None:
    """Run the Application behind the webhook until uvicorn is told to stop (SIGINT/SIGTERM)."""
    server = _Server(
        uvicorn.Config(
            asgi_app(application, database, secret),
            host=listen,
            port=port,
            log_level="warning",
            # uvicorn's own formatters write plain lines: its messages go through the JSON log.
            log_config=None,
            access_log=False,
            lifespan="on",
        )
    )
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.bot.set_webhook(
            url=public_url.rstrip("/") + WEBHOOK_PATH,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        await application.start()
        try:
            await server.serve()
        finally:
            await application.stop()
