"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# The one async driver of each database the bot runs on.
ASYNC_DRIVERS = {"postgresql": "asyncpg", "sqlite": "aiosqlite"}
URL_EXAMPLES = "postgresql+asyncpg://user:password@host/database or sqlite+aiosqlite:///chibo.db"


class DatabaseURLError(ValueError):
    """The URL names no database the bot can run on; the message says what to write."""


class DatabaseUnreachable(Exception):
    """No connection could be opened; the message says to what (without password) and why."""


def async_url(url: str) -> URL:
    """The URL with its async driver. `postgresql://`, `postgres://` and `sqlite://`, as other
    tools and hosting providers write them, get asyncpg and aiosqlite; another driver is
    refused rather than silently replaced, since its options may not mean the same here."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseURLError(f"not a database URL; write {URL_EXAMPLES}") from None
    backend = "postgresql" if parsed.drivername == "postgres" else parsed.get_backend_name()
    driver = ASYNC_DRIVERS.get(backend)
    if driver is None:
        raise DatabaseURLError(
            f"{backend} is not supported: the bot runs on PostgreSQL or SQLite, {URL_EXAMPLES}"
        )
    if "+" in parsed.drivername and parsed.get_driver_name() != driver:
        raise DatabaseURLError(
            f"the {parsed.get_driver_name()} driver is not supported: write {backend}+{driver}://…"
        )
    return parsed.set(drivername=f"{backend}+{driver}")


class Database:
    """One engine per process; each service call runs in one transaction from here."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = async_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            # Waiting on a write lock beats failing with "database is locked" when the
            # dispatcher and a handler write at the same moment.
            kwargs["connect_args"] = {"timeout": 30}
        # No pool_pre_ping on PostgreSQL: its ping costs round trips at every checkout. A
        # restarted server leaves dead connections in the pool instead, which the first
        # statement on one finds (see once_more_if_disconnected).
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_on_connect)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection in a transaction, committed on success and rolled back on any
        error: for the statements every update runs, without an ORM session's cost."""
        async with self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def work(self) -> AsyncIterator[Work]:
        """A transaction for Core statements, with an ORM session in it only if the work asks
        for one (``Work.session``); committed on success and rolled back on any error."""
        async with self.connection() as connection, self.work_on(connection) as work:
            yield work

    @asynccontextmanager
    async def work_on(self, connection: AsyncConnection) -> AsyncIterator[Work]:
        """The work of ``connection``'s transaction, which its owner commits or rolls back:
        a session made meanwhile is flushed into it at the end."""
        work = Work(connection, self.sessions)
        try:
            yield work
            await work.flushed()
        finally:
            await work.closed()

    async def check(self) -> None:
        """Open a connection and run a trivial query, or raise DatabaseUnreachable."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except DBAPIError as error:
            raise DatabaseUnreachable(self._unreachable(error.orig)) from error
        except OSError as error:  # asyncpg's socket errors come unwrapped
            raise DatabaseUnreachable(self._unreachable(error)) from error

    def _unreachable(self, cause: BaseException | None) -> str:
        where = self.url.render_as_string(hide_password=True)
        reason = (str(cause) if cause is not None else "") or type(cause).__name__
        hint = " (does its folder exist, and may this user write there?)" if self.is_sqlite else ""
        return f"cannot open the database {where}: {reason}{hint}"

    async def dispose(self) -> None:
        await self.engine.dispose()


class Work:
    """One transaction's work: Core statements on its ``connection``, and, for the part that
    needs ORM objects, a session on the same transaction, made at its first use: a session
    costs about as much again as a short transaction's statements."""

    def __init__(
        self, connection: AsyncConnection, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        self.connection = connection
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._ended = False

    def session(self) -> AsyncSession:
        if self._ended:
            raise RuntimeError("a work's session is asked for after its transaction ended")
        if self._session is None:
            # Its work is flushed into the connection's transaction, whose commit is then the
            # work's too (the session's own commit would cost as much again).
            self._session = self._sessions(
                bind=self.connection, join_transaction_mode="rollback_only"
            )
        return self._session

    async def flushed(self) -> None:
        self._ended = True
        if self._session is not None:
            await self._session.flush()

    async def closed(self) -> None:
        self._ended = True
        if self._session is not None:
            await self._session.close()


async def once_more_if_disconnected(transaction: Callable[[], Awaitable[T]]) -> T:
    """Run ``transaction`` (the whole of one), and once more if its connection turned out
    dead at one of its statements: nothing of it was committed, and SQLAlchemy has dropped
    that connection and marked the pool's older ones to be replaced, so the second try runs
    on a fresh one. A connection lost at the commit itself is not retried: the server may
    have committed."""
    try:
        return await transaction()
    except DBAPIError as error:
        if not error.connection_invalidated or error.statement is None:
            raise
        log.warning("the database connection was gone; trying again on a new one")
    return await transaction()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
