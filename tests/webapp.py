"""The dashboard as the tests open it: launch data signed as Telegram signs it (plainly,
not with the code under test), the running bot's dashboard app, and an organisation of two
cells to look at."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from emulator.state import EmuUser
from handlers.dashboard import dashboard_routes
from storage.db import Database
from storage.models import Cell as CellRow
from tests.harness import TOKEN, RunningBot, cell_with_members, join, link_in

MAX_AGE = timedelta(hours=24)


def signed(user: EmuUser, signed_at: datetime, *, language: str = "vi", token: str = TOKEN) -> str:
    """Launch data for ``user`` as Telegram builds it: the fields as sorted ``key=value``
    lines, signed with HMAC-SHA256 under HMAC-SHA256(key="WebAppData", msg=token)."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {"id": user.id, "first_name": user.first_name, "language_code": language},
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        "auth_date": str(int(signed_at.timestamp())),
        "signature": "c2lnbmVkLWJ5LXRlbGVncmFt",
    }
    lines = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, lines.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def dashboard_app(bot: RunningBot, database: Database | None = None) -> Starlette:
    """The running bot's dashboard under /app, reading through ``database`` when given."""
    state = bot.application.bot_data["chibo"]
    if database is not None:
        state = replace(state, database=database)
    return Starlette(routes=[Mount("/app", routes=dashboard_routes(state, TOKEN, MAX_AGE))])


@asynccontextmanager
async def dashboard(
    bot: RunningBot, database: Database | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the running bot's dashboard."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=dashboard_app(bot, database)),
        base_url="http://dashboard.test",
    ) as client:
        yield client


def opened_by(init_data: str) -> dict[str, str]:
    return {"Authorization": f"tma {init_data}"}


async def two_cells(bot: RunningBot) -> tuple[EmuUser, EmuUser, EmuUser, EmuUser, int, int]:
    """A supervisor of two cells; the first cell's secretary and member; the second's
    secretary. Returns them and the two cells' ids."""
    first = await cell_with_members(bot, ["Lê Văn Minh"], cell_name="Chi bộ Phòng Tổng hợp")
    other_secretary = bot.emulator.user(30_001, "Phạm Thị Hoa")
    link = link_in(await bot.send(first.supervisor, "/newcell Chi bộ Phòng Kế toán"))
    await join(bot, other_secretary, link, "vi")
    cells = {c.name: c.id for c in await bot.rows(CellRow)}
    return (
        first.supervisor,
        first.secretary,
        first.members[0],
        other_secretary,
        cells["Chi bộ Phòng Tổng hợp"],
        cells["Chi bộ Phòng Kế toán"],
    )
