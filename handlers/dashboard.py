"""The supervisors' dashboard over HTTP: a Telegram Mini App served beside the webhook.

Every request carries the Mini App's signed launch data (initData) in its Authorization
header and is authorised afresh from it; nothing is kept between requests (no cookie, no
session), and nothing personal is in a URL. The pages are the shell Telegram opens, which
loads the figures into itself, and the figures' pages, each an HTML fragment."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar
from urllib.parse import quote

from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.messages import Text
from domain.webapp import InitDataRefused, unverified_language, verified_user
from handlers.common import AppState
from services.dashboard.access import DashboardDenied, Denial
from services.dashboard.kept import Kept
from services.dashboard.pages import (
    CellYear,
    Overview,
    OverviewAsked,
    OverviewFigures,
    WebRequest,
    cell_year,
    home,
    minutes,
    minutes_to_chat,
)
from services.dashboard.render import (
    DENIAL_TEXT,
    REFUSAL_TEXT,
    STATIC,
    denied_html,
    page_html,
    shell_html,
)
from services.errors import Refused

log = logging.getLogger(__name__)
Outcome = TypeVar("Outcome")

# Scripts and styles from the page's own server only (and Telegram's script); no frame but
# Telegram's web client may embed it.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' https://telegram.org",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org",
    )
)
_SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
AUTHORIZATION_SCHEME = "tma"
# Ids are 32-bit integers in the database; a longer number names nothing.
_LARGEST_ID = 2**31 - 1
_ID_DIGITS = len(str(_LARGEST_ID))

DENIAL_STATUS = {
    Denial.NOT_REGISTERED: 403,
    Denial.NO_DASHBOARD: 403,
    Denial.NOT_YOURS: 403,
    Denial.NOT_FOUND: 404,
}


class _Secured:
    """Every response of the dashboard carries its security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_secured)


Page = Overview | CellYear


class Dashboard:
    """The dashboard's endpoints, over the bot's own state (database, clock, translations)."""

    def __init__(self, state: AppState, bot_token: str, max_age: timedelta) -> None:
        self.state = state
        self.bot_token = bot_token
        self.max_age = max_age
        self.overviews: Kept[OverviewFigures] = Kept()

    def routes(self) -> list[BaseRoute]:
        pages = Router(
            [
                Route("/", self.opened),
                Route("/cells/{cell_id:int}", self.opened),
                Mount("/static", app=StaticFiles(directory=STATIC)),
                Route("/api/", self.api_home),
                Route("/api/cells/{cell_id:int}", self.api_cell),
                Route("/api/meetings/{meeting_id:int}/minutes", self.api_minutes),
                Route(
                    "/api/meetings/{meeting_id:int}/minutes/chat",
                    self.api_minutes_to_chat,
                    methods=["POST"],
                ),
            ]
        )
        # Compressed: a page of fifty cells' grid is ~140 KB of HTML and ~6 KB gzipped,
        # which a phone on a slow network feels.
        return [Mount("", app=_Secured(GZipMiddleware(pages, minimum_size=1024)))]

    async def opened(self, request: Request) -> Response:
        return HTMLResponse(shell_html(_base(request), self.state.settings.default_language))

    async def api_home(self, request: Request) -> Response:
        asked = OverviewAsked(
            organisation_id=_number(request, "org"),
            year=_number(request, "year"),
            quarter=_number(request, "quarter"),
            page=_number(request, "page"),
        )
        return await self._page(request, lambda web: home(web, asked))

    async def api_cell(self, request: Request) -> Response:
        cell_id = _row_id(request, "cell_id")
        year = _number(request, "year")
        return await self._page(request, lambda web: cell_year(web, cell_id, year))

    async def api_minutes(self, request: Request) -> Response:
        meeting_id = _row_id(request, "meeting_id")
        outcome = await self._answer(request, lambda web: minutes(web, meeting_id))
        if isinstance(outcome, Response):
            return outcome
        return Response(
            outcome.content,
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            headers={
                "Content-Disposition": (f'attachment; filename="{quote(outcome.file_name)}"'),
                "Cache-Control": "no-store",
            },
        )

    async def api_minutes_to_chat(self, request: Request) -> Response:
        meeting_id = _row_id(request, "meeting_id")
        outcome = await self._answer(request, lambda web: minutes_to_chat(web, meeting_id))
        if isinstance(outcome, Response):
            return outcome
        self.state.wake_outbox()
        said = (
            Text("dashboard.minutes_sent")
            if outcome.first_time
            else Text("dashboard.minutes_sent_before")
        )
        return PlainTextResponse(
            self._renderer(outcome.language)(said), headers={"Cache-Control": "no-store"}
        )

    async def _page(
        self, request: Request, show: Callable[[WebRequest], Awaitable[Page]]
    ) -> Response:
        outcome = await self._answer(request, show)
        if isinstance(outcome, Response):
            return outcome
        return _html(page_html(outcome, _base(request)))

    async def _answer(
        self, request: Request, use_case: Callable[[WebRequest], Awaitable[Outcome]]
    ) -> Outcome | Response:
        """What the use case gives for the person the launch data names, or the page saying
        why it is not shown."""
        header = request.headers.get("Authorization", "")
        scheme, _, init_data = header.partition(" ")
        init_data = init_data if scheme == AUTHORIZATION_SCHEME else ""
        try:
            user = verified_user(init_data, self.bot_token, self.state.clock.now(), self.max_age)
        except InitDataRefused as refused:
            language = unverified_language(init_data)
            return self._denied(401, language, Text(REFUSAL_TEXT[refused.refusal]))
        web = WebRequest(
            database=self.state.database,
            user=user,
            now=self.state.clock.now(),
            settings=self.state.settings,
            renderer=self._renderer,
            files=self.state.files,
            overviews=self.overviews,
        )
        try:
            return await use_case(web)
        except DashboardDenied as denied:
            language = denied.language or user.language_code
            return self._denied(
                DENIAL_STATUS[denied.denial], language, Text(DENIAL_TEXT[denied.denial])
            )
        except Refused as refused:
            return self._denied(409, user.language_code, refused.text)
        except (SQLAlchemyError, OSError) as error:
            # OSError: the driver could not even reach the server (asyncpg's refused
            # connection is not wrapped by SQLAlchemy).
            log.warning("dashboard: the database failed (%s)", type(error).__name__)
            return self._denied(503, user.language_code, Text("dashboard.refused.unavailable"))

    def _renderer(self, language: str | None) -> Callable[[Text], str]:
        translator = self.state.translator
        chosen = translator.language(language)
        return lambda text: translator.render(text, chosen)

    def _denied(self, status: int, language: str | None, text: Text) -> Response:
        return _html(denied_html(self._renderer(language), text, status), status)


def _base(request: Request) -> str:
    """Where the dashboard is mounted, as the browser sees it (``/app``)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def _number(request: Request, name: str) -> int | None:
    """A whole number from the query, or None; one that is not a number (or longer than any
    year, quarter, page or id) is not looked for."""
    given = request.query_params.get(name)
    if given is None or not (given.isascii() and given.isdigit()) or len(given) > _ID_DIGITS:
        return None
    return int(given)


def _row_id(request: Request, name: str) -> int:
    """A row's id from the path; one beyond what a database holds names no row (0)."""
    given: int = request.path_params[name]
    return given if given <= _LARGEST_ID else 0


def _html(content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status, headers={"Cache-Control": "no-store"})


def dashboard_routes(state: AppState, bot_token: str, max_age: timedelta) -> list[BaseRoute]:
    """The dashboard's routes, to mount under ``bot.settings.DASHBOARD_PATH``."""
    return Dashboard(state, bot_token, max_age).routes()
