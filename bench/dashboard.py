"""The supervisors' dashboard (issue 15) for a large synthetic organisation: server time, SQL
statements and page weight of the overview and of a cell's page.

    python -m bench.dashboard --cells 1000 --months 12 [--db sqlite|postgresql]
                              [--members-per-cell 30] [--requests 30]

Two organisations are measured in one run, each in a database of its own seeded as
``bench.digest`` seeds it (``bench.common.seed``), with a supervisor of the whole
organisation added: a small one of 10 cells, then the one of ``--cells``. For each, the
dashboard's routes (``handlers.dashboard.Dashboard`` over the ``AppState`` that
``bot.app.build_application`` makes, mounted at ``/app`` as in production) are served by a
real uvicorn on 127.0.0.1 and asked by an httpx client, with the supervisor's signed launch
data in ``Authorization: tma <initData>``, one request at a time: the overview
(``/app/api/``, the year so far) and a cell's page (``/app/api/cells/1``), ``--requests``
times each after one warm-up request.

Server time is measured around the ASGI app, from the request's arrival to its last byte
handed to uvicorn, with the CPU time this process spent meanwhile (SQLite's thread included,
PostgreSQL's server not); SQL statements are counted with ``before_cursor_execute`` on the
engine. A third page, the overview of the current quarter, shows what a shorter period costs.
The overview's figures are kept between requests while nothing they count changed (and only
the cells changed are worked out again), so the overview is asked ``--changed-requests``
times more after each of two writes its figures read: one cell's (a meeting's minutes
recorded or undone) and the whole organisation's (a cell renamed): what the first look
after a change costs. The memory the kept figures hold is weighed after the first three pages.
Page weight is the fragment's body, and the shell, CSS and script the Mini App loads once.
Then the large organisation's overview is asked ``BREAKDOWN_REQUESTS`` more times, each after
an organisation-wide write, with the steps of a request timed (their functions wrapped for
that pass only): where the time of working the figures out goes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import gzip
import inspect
import json
import socket
import sys
import tempfile
import time
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from pydantic import SecretStr
from sqlalchemy import case, func, insert, update
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

import handlers.dashboard
import services.dashboard.pages
import services.dashboard.render
import services.digest.figures
from bench.common import (
    NOW,
    TOKEN,
    Sizes,
    bench_parser,
    counting_statements,
    emit_json,
    percentile,
    print_machine,
    print_province,
    print_table,
    progress,
    province_arguments,
    scratch_database,
    seeded_province,
)
from bot.app import build_application
from bot.settings import DASHBOARD_PATH, Settings
from domain.clock import FakeClock
from domain.webapp import init_data_hash
from handlers.common import STATE_KEY, AppState
from handlers.dashboard import Dashboard
from storage.db import Database
from storage.models import Cell, Meeting, Person, SupervisorScope

# The goals of issue 15, at 1,000 cells.
P95_GOAL_MS = 500.0
PAGE_GOAL_BYTES = 300 * 1024
SMALL_CELLS = 10
SUPERVISOR_USER_ID = 1
MEASURED_CELL = 1  # the cell whose page is asked for
BREAKDOWN_REQUESTS = 10
KB = 1024

# The steps of an overview request timed by the breakdown: (where, attribute, label); an
# indented label is a part of the step above it.
STEPS: tuple[tuple[Any, str, str], ...] = (
    (handlers.dashboard, "verified_user", "launch data checked (verified_user)"),
    (services.dashboard.pages, "sight_of", "who asks, what they may see (sight_of)"),
    (services.dashboard.pages, "cells_figures", "the cells' figures (cells_figures)"),
    (services.digest.figures, "cells_in_scope", "  SQL: cells"),
    (services.digest.figures, "scheduled_meetings_between", "  SQL: meetings (rows)"),
    (services.digest.figures, "closed_rolls_between", "  SQL: closed rolls (counts per meeting)"),
    (services.digest.figures, "papers_due_between", "  SQL: papers"),
    (services.digest.figures, "members_at_risk", "  SQL + Python: members at risk"),
    (services.digest.figures, "observations", "  SQL: observations"),
    (services.digest.figures, "_rolls", "  Python: roll figures by meeting (_rolls)"),
    (services.digest.figures, "_cell_figures", "  Python: each cell's figures"),
    (services.digest.figures, "organisation_figures", "  Python: organisation_figures"),
    (services.dashboard.pages, "looked_at_first", "the order of the cells"),
    (services.dashboard.pages, "month_totals", "totals per month"),
    (handlers.dashboard, "page_html", "rendering (page_html)"),
    (services.dashboard.render, "trend", "  the trend's SVG points"),
    (services.dashboard.render, "fragment", "  Jinja: the overview template"),
)


# --- the organisation and its supervisor -------------------------------------------------------


async def add_supervisor(database: Database, sizes: Sizes) -> None:
    """A person who supervises the whole organisation, with ids after the seeded people's."""
    person_id = sizes.people + 1
    async with database.transaction() as session:
        await session.execute(
            insert(Person).values(
                id=person_id,
                telegram_user_id=SUPERVISOR_USER_ID,
                full_name="Trần Thị Giám Sát",
                name_confirmed_at=NOW,
                created_at=NOW,
            )
        )
        await session.execute(
            insert(SupervisorScope).values(
                person_id=person_id, organisation_id=1, cell_id=None, created_at=NOW
            )
        )


def launch_data() -> str:
    """The supervisor's initData, as Telegram signs it for the bot, dated now."""
    fields = {
        "user": json.dumps({"id": SUPERVISOR_USER_ID, "first_name": "Giám Sát"}),
        "auth_date": str(int(NOW.timestamp())),
    }
    return urlencode({**fields, "hash": init_data_hash(fields, TOKEN)})


# --- the server --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    ms: float
    cpu_ms: float  # this process's, its threads' included (SQLite's work; not PostgreSQL's)
    statements: int


class Timed:
    """Times each HTTP request from its arrival to its last byte handed to the server, and
    counts the SQL statements it sends."""

    def __init__(self, app: ASGIApp, database: Database, dashboard: Dashboard) -> None:
        self.app = app
        self.database = database
        self.dashboard = dashboard
        self.served: list[Served] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with counting_statements(self.database) as counter:
            started, cpu_started = time.perf_counter(), time.process_time()
            await self.app(scope, receive, send)
            ms = (time.perf_counter() - started) * 1000
            cpu_ms = (time.process_time() - cpu_started) * 1000
        self.served.append(Served(ms, cpu_ms, counter.count))


def dashboard_app(database: Database, files: Path) -> Timed:
    """The dashboard's routes over the state of ``chibo run``'s Application, at /app."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(TOKEN),
        database_url=database.url.render_as_string(hide_password=False),
        file_store=files,
    )
    application = build_application(settings, database, FakeClock(NOW))
    state: AppState = application.bot_data[STATE_KEY]
    dashboard = Dashboard(state, TOKEN, timedelta(hours=settings.web_app_max_age_hours))
    app = Starlette(routes=[Mount(DASHBOARD_PATH, routes=dashboard.routes())])
    return Timed(app, database, dashboard)


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """uvicorn serving ``app`` on a free port of 127.0.0.1, in this event loop; its URL."""
    listening = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off")
    )
    serving_task = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        if serving_task.done():
            await serving_task  # its error
            raise SystemExit("uvicorn did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving_task
        listening.close()


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class PageFigures:
    """One page asked ``requests`` times after a warm-up."""

    path: str
    server_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    round_trip_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    body: bytes = b""

    @property
    def bytes(self) -> int:
        return len(self.body)

    @property
    def gzip_bytes(self) -> int:
        return len(gzip.compress(self.body))

    def summary(self) -> dict[str, Any]:
        return {
            "p50_ms": percentile(self.server_ms, 50),
            "p95_ms": percentile(self.server_ms, 95),
            "max_ms": max(self.server_ms),
            "cpu_p50_ms": percentile(self.cpu_ms, 50),
            "round_trip_p95_ms": percentile(self.round_trip_ms, 95),
            "sql_statements": max(self.statements),
            "bytes": self.bytes,
        }


async def ask(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
    response = await client.get(path, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"GET {path}: {response.status_code} {response.text[:300]!r}")
    return response


async def measure_page(
    client: httpx.AsyncClient,
    timed: Timed,
    path: str,
    requests: int,
    before: Callable[[], Awaitable[None]] | None = None,
) -> PageFigures:
    """The page asked ``requests`` times after a warm-up, each time after ``before()``."""
    figures = PageFigures(path)
    headers = {"Authorization": f"tma {launch_data()}"}
    await ask(client, path, headers)  # the warm-up: templates compiled, statements cached
    for _ in range(requests):
        if before is not None:
            await before()
        started = time.perf_counter()
        response = await ask(client, path, headers)
        figures.round_trip_ms.append((time.perf_counter() - started) * 1000)
        served = timed.served[-1]
        figures.server_ms.append(served.ms)
        figures.cpu_ms.append(served.cpu_ms)
        figures.statements.append(served.statements)
        figures.body = response.content
    if len(set(figures.statements)) != 1:
        progress(f"{path}: the statements differ between requests: {sorted(figures.statements)}")
    return figures


async def shell_bytes(client: httpx.AsyncClient) -> dict[str, int]:
    """What the Mini App loads once: the page Telegram opens, its style and its script."""
    paths = {
        "shell": f"{DASHBOARD_PATH}/",
        "css": f"{DASHBOARD_PATH}/static/dashboard.css",
        "js": f"{DASHBOARD_PATH}/static/dashboard.js",
    }
    return {name: len((await ask(client, path, {})).content) for name, path in paths.items()}


class Breakdown:
    """Times the steps of STEPS while installed: total ms and calls per step."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {label: 0.0 for _, _, label in STEPS}
        self.cpu_ms: dict[str, float] = {label: 0.0 for _, _, label in STEPS}
        self.calls: dict[str, int] = {label: 0 for _, _, label in STEPS}
        self._originals: list[tuple[Any, str, Any]] = []

    def install(self) -> None:
        for where, name, label in STEPS:
            original = getattr(where, name)
            self._originals.append((where, name, original))
            setattr(where, name, self._timed(original, label))

    def uninstall(self) -> None:
        for where, name, original in reversed(self._originals):
            setattr(where, name, original)
        self._originals.clear()

    def _record(self, label: str, started: float, cpu_started: float) -> None:
        self.ms[label] += (time.perf_counter() - started) * 1000
        self.cpu_ms[label] += (time.process_time() - cpu_started) * 1000
        self.calls[label] += 1

    def _timed(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(function):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started, cpu_started = time.perf_counter(), time.process_time()
                try:
                    return await function(*args, **kwargs)
                finally:
                    self._record(label, started, cpu_started)

            return timed_async

        def timed(*args: Any, **kwargs: Any) -> Any:
            started, cpu_started = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self._record(label, started, cpu_started)

        return timed


@dataclass
class Measured:
    """What one organisation's run measured."""

    sizes: Sizes
    seed_s: float
    pages: dict[str, PageFigures]  # by PAGES' and CHANGED's names
    loaded_once: dict[str, int]
    kept_bytes: int  # the overviews' figures kept, after asking PAGES
    breakdown: Breakdown | None = None
    breakdown_served: list[Served] = field(default_factory=list)

    @property
    def overview(self) -> PageFigures:
        return self.pages["overview"]

    @property
    def cell(self) -> PageFigures:
        return self.pages["cell page"]

    @property
    def page_weight(self) -> int:
        """The overview as the Mini App first shows it: the shell, its style and script,
        and the overview's fragment."""
        return self.overview.bytes + sum(self.loaded_once.values())


# The pages asked for: the overview of the year so far (the default), a cell's year, and the
# overview of the current quarter (less to compute: a lever on the overview's time).
PAGES = {
    "overview": f"{DASHBOARD_PATH}/api/",
    "cell page": f"{DASHBOARD_PATH}/api/cells/{MEASURED_CELL}",
    "overview, Q4": f"{DASHBOARD_PATH}/api/?quarter={(NOW.month - 1) // 3 + 1}",
}


def writing_minutes(database: Database) -> Callable[[], Awaitable[None]]:
    """A write one cell's figures read, made before each request: the first meeting's minutes
    recorded, then undone, in turn. The cell's revision moves each time, so that cell's
    figures are worked out again and the organisation's summed afresh."""

    async def write() -> None:
        async with database.transaction() as session:
            await session.execute(
                update(Meeting)
                .where(Meeting.id == 1)
                .values(
                    minutes_recorded_at=case(
                        (Meeting.minutes_recorded_at.is_(None), NOW), else_=None
                    )
                )
            )

    return write


def renaming_a_cell(database: Database) -> Callable[[], Awaitable[None]]:
    """A write the whole organisation's figures read, made before each request: a cell
    renamed, then back, in turn (its name and place in the list are the organisation's). The
    organisation's revision moves each time, so every cell's figures are worked out again:
    what the first supervisor to look after such a change waits for."""

    async def write() -> None:
        async with database.transaction() as session:
            await session.execute(
                update(Cell)
                .where(Cell.id == 1)
                .values(
                    name=case(
                        (
                            Cell.name.endswith(" (đổi tên)"),
                            func.replace(Cell.name, " (đổi tên)", ""),
                        ),
                        else_=Cell.name + " (đổi tên)",
                    )
                )
            )

    return write


# The overview asked right after a write its figures read, each time.
CHANGED = {
    "overview after a cell's write": writing_minutes,
    "overview after an organisation-wide write": renaming_a_cell,
}


def deep_bytes(root: object) -> int:
    """The memory an object holds, through everything it reaches (classes, modules,
    functions and the event loop's machinery, which it only refers to, are not counted)."""
    seen: set[int] = set()
    total, stack = 0, [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, (type, types.ModuleType, types.FunctionType)):
            continue
        if type(item).__module__.startswith("asyncio"):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        stack.extend(gc.get_referents(item))
    return total


async def measure_organisation(
    args: argparse.Namespace, cells: int, *, breakdown: bool
) -> Measured:
    async with scratch_database(args.db) as database:
        sizes, seed_s = await seeded_province(database, cells, args.members_per_cell, args.months)
        await add_supervisor(database, sizes)
        gc.collect()  # the seeding's garbage, not the requests'
        with tempfile.TemporaryDirectory(prefix="chibo-bench-files-") as files:
            timed = dashboard_app(database, Path(files))
            async with (
                serving(timed) as url,
                httpx.AsyncClient(base_url=url, timeout=120) as client,
            ):
                pages = {}
                for name, path in PAGES.items():
                    progress(f"{cells} cells: {name}, {args.requests} requests")
                    pages[name] = await measure_page(client, timed, path, args.requests)
                kept_bytes = deep_bytes(timed.dashboard.overviews)
                for name, writing in CHANGED.items():
                    progress(f"{cells} cells: {name}, {args.changed_requests} requests")
                    pages[name] = await measure_page(
                        client,
                        timed,
                        PAGES["overview"],
                        args.changed_requests,
                        before=writing(database),
                    )
                measured = Measured(sizes, seed_s, pages, await shell_bytes(client), kept_bytes)
                if breakdown:
                    progress(f"{cells} cells: the overview's steps, {BREAKDOWN_REQUESTS} requests")
                    await break_down(client, timed, measured, renaming_a_cell(database))
    return measured


async def break_down(
    client: httpx.AsyncClient,
    timed: Timed,
    measured: Measured,
    write: Callable[[], Awaitable[None]],
) -> None:
    """The overview's steps timed, each request after an organisation-wide write: every
    cell's figures worked out."""
    steps = Breakdown()
    steps.install()
    try:
        headers = {"Authorization": f"tma {launch_data()}"}
        for _ in range(BREAKDOWN_REQUESTS):
            await write()
            await ask(client, measured.overview.path, headers)
            measured.breakdown_served.append(timed.served[-1])
    finally:
        steps.uninstall()
    measured.breakdown = steps


# --- output ------------------------------------------------------------------------------------


def grid_rows(page: PageFigures) -> int:
    return page.body.count(b"<tr data-cell=")


def page_rows(name: str, small: PageFigures, large: PageFigures) -> list[tuple[object, ...]]:
    def both(figure: Callable[[PageFigures], object]) -> tuple[object, object]:
        return figure(small), figure(large)

    rows: list[tuple[object, ...]] = [
        (f"{name}: server p50 ms", *both(lambda p: percentile(p.server_ms, 50))),
        (f"{name}: server p95 ms", *both(lambda p: percentile(p.server_ms, 95))),
        (f"{name}: server max ms", *both(lambda p: max(p.server_ms))),
        (f"{name}: CPU ms p50 (this process)", *both(lambda p: percentile(p.cpu_ms, 50))),
        (f"{name}: round trip p95 ms (client)", *both(lambda p: percentile(p.round_trip_ms, 95))),
        (f"{name}: SQL statements", *both(_statements)),
        (f"{name}: fragment KB", *both(lambda p: p.bytes / KB)),
        (f"{name}: fragment KB gzipped", *both(lambda p: p.gzip_bytes / KB)),
    ]
    if b"<tr data-cell=" in large.body:
        rows.append((f"{name}: cells on the page", *both(grid_rows)))
    return rows


def _statements(page: PageFigures) -> str:
    """The statements per request: one number, unless requests differed."""
    return "/".join(str(n) for n in sorted(set(page.statements)))


def print_breakdown(measured: Measured) -> None:
    steps = measured.breakdown
    if steps is None:
        return
    served = measured.breakdown_served
    requests = len(served)
    mean_ms = sum(s.ms for s in served) / requests
    mean_cpu_ms = sum(s.cpu_ms for s in served) / requests
    outer = [label for label in steps.ms if not label.startswith(" ")]
    rest_ms = mean_ms - sum(steps.ms[label] for label in outer) / requests
    rest_cpu_ms = mean_cpu_ms - sum(steps.cpu_ms[label] for label in outer) / requests
    rows: list[Sequence[object]] = [
        (
            label,
            steps.calls[label] // requests,
            ms / requests,
            steps.cpu_ms[label] / requests,
            100 * ms / requests / mean_ms,
        )
        for label, ms in steps.ms.items()
    ]
    rows.append(
        ("the rest: HTTP, routing, transaction", "", rest_ms, rest_cpu_ms, 100 * rest_ms / mean_ms)
    )
    print_table(
        f"Where an overview request's time goes ({measured.sizes.cells} cells, {requests} "
        f"requests with the steps timed: {mean_ms:.1f} ms server time, {mean_cpu_ms:.1f} ms "
        f"CPU, {served[-1].statements} statements each)",
        ("step", "calls/request", "mean ms", "mean CPU ms", "% of the request"),
        rows,
    )


def print_result(args: argparse.Namespace, small: Measured, large: Measured) -> None:
    print_machine()
    print(
        f"database: {args.db}; now {NOW:%Y-%m-%d %H:%M} Asia/Ho_Chi_Minh; the overview looks at "
        f"the year so far; {args.requests} requests per page after one warm-up; seeding took "
        f"{small.seed_s:.1f} s and {large.seed_s:.1f} s"
    )
    print_province(large.sizes, f"Synthetic organisation ({args.members_per_cell} per cell)")
    once = large.loaded_once
    print_table(
        "The dashboard, served by uvicorn on 127.0.0.1",
        ("figure", f"{small.sizes.cells} cells", f"{large.sizes.cells} cells"),
        [
            *(
                row
                for name in large.pages
                for row in page_rows(name, small.pages[name], large.pages[name])
            ),
            (
                "loaded once: shell + CSS + script KB",
                sum(small.loaded_once.values()) / KB,
                sum(once.values()) / KB,
            ),
            (
                "page weight: overview + shell + CSS + script KB",
                small.page_weight / KB,
                large.page_weight / KB,
            ),
            (
                "figures kept (year, Q4: 2 overviews) MB",
                small.kept_bytes / KB / KB,
                large.kept_bytes / KB / KB,
            ),
        ],
    )
    print(
        f"(loaded once: shell {once['shell']} B, CSS {once['css']} B, script {once['js']} B; "
        "Telegram's own telegram-web-app.js is not counted)"
    )
    print_breakdown(large)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    small = await measure_organisation(args, SMALL_CELLS, breakdown=False)
    large = await measure_organisation(args, args.cells, breakdown=True)
    print_result(args, small, large)
    overview, cell, quarter, cell_changed, all_changed = (
        large.pages[name].summary() for name in (*PAGES, *CHANGED)
    )
    small_overview, small_cell = small.overview.summary(), small.cell.summary()
    ratios = {
        "p95_to_goal": overview["p95_ms"] / P95_GOAL_MS,
        "weight_to_goal": large.page_weight / PAGE_GOAL_BYTES,
        "statements_small_vs_large": small_overview["sql_statements"] / overview["sql_statements"],
        "cell_statements_small_vs_large": small_cell["sql_statements"] / cell["sql_statements"],
    }
    print(
        f"\np95 / goal ({P95_GOAL_MS:g} ms): {ratios['p95_to_goal']:.3f}; page weight / goal "
        f"({PAGE_GOAL_BYTES // KB} KB): {ratios['weight_to_goal']:.3f}; statements at "
        f"{SMALL_CELLS} / at {args.cells} cells: overview "
        f"{ratios['statements_small_vs_large']:.3f}, cell page "
        f"{ratios['cell_statements_small_vs_large']:.3f}"
    )
    return {
        "db": args.db,
        "cells": args.cells,
        "members_per_cell": args.members_per_cell,
        "months": args.months,
        "requests": args.requests,
        **{name: round(overview[name], 1) for name in ("p50_ms", "p95_ms", "max_ms")},
        "cpu_p50_ms": round(overview["cpu_p50_ms"], 1),
        "sql_statements": overview["sql_statements"],
        "sql_statements_small": small_overview["sql_statements"],
        "page_bytes": large.page_weight,
        "overview_bytes": overview["bytes"],
        "cell_p50_ms": round(cell["p50_ms"], 1),
        "cell_p95_ms": round(cell["p95_ms"], 1),
        "cell_sql_statements": cell["sql_statements"],
        "cell_sql_statements_small": small_cell["sql_statements"],
        "cell_bytes": cell["bytes"],
        "quarter_p50_ms": round(quarter["p50_ms"], 1),
        "quarter_p95_ms": round(quarter["p95_ms"], 1),
        "cell_changed_p50_ms": round(cell_changed["p50_ms"], 1),
        "cell_changed_p95_ms": round(cell_changed["p95_ms"], 1),
        "cell_changed_cpu_p50_ms": round(cell_changed["cpu_p50_ms"], 1),
        "cell_changed_sql_statements": cell_changed["sql_statements"],
        "all_changed_p50_ms": round(all_changed["p50_ms"], 1),
        "all_changed_p95_ms": round(all_changed["p95_ms"], 1),
        "all_changed_cpu_p50_ms": round(all_changed["cpu_p50_ms"], 1),
        "kept_mb": round(large.kept_bytes / KB / KB, 1),
        **{name: round(value, 3) for name, value in ratios.items()},
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = bench_parser("dashboard", __doc__)
    province_arguments(parser, cells=1000)
    parser.add_argument(
        "--requests", type=int, default=30, help="requests per page, after one warm-up"
    )
    parser.add_argument(
        "--changed-requests",
        type=int,
        default=10,
        help="requests of the overview right after a write, after one warm-up",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    emit_json(asyncio.run(main(parse())))
