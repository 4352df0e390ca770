"""The `chibo` command: run the bot, migrate the database, create organisations.

Whatever goes wrong for the operator is one line on stderr, `chibo: error: …`, and a non-zero
exit status; a traceback is left for the bot's own defects."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import alembic.util
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot import webhook
from bot.app import (
    ChiboApplication,
    build_application,
    new_event_loop,
    run_on_event_loop,
    service_settings_of,
    startup_heap_frozen,
)
from bot.demo import DEMO_PORT, DemoError, demo_command
from bot.logging import configure_logging
from bot.settings import Settings
from chat.i18n import Translator
from domain.clock import SystemClock
from domain.invites import deep_link
from domain.organisations import DEFAULT_CUTOFF_DAY
from services.errors import Refused
from services.onboarding import create_organisation, supervisor_link
from services.record.archive import export_organisation, name_part
from storage import migrate
from storage.db import Database, DatabaseUnreachable, DatabaseURLError
from storage.files import FileStore

log = logging.getLogger("chibo")
HEALTH_TIMEOUT_SECONDS = 10


class CommandError(Exception):
    """A one-line explanation for the person at the terminal; no traceback."""

    status = 2


class Unhealthy(CommandError):
    """`chibo health` failed: status 1, what Docker's HEALTHCHECK reads as unhealthy."""

    status = 1


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"CHIBO_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        raise CommandError(f"invalid settings: {problems}") from error


def _token(settings: Settings) -> str:
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        raise CommandError(
            "CHIBO_BOT_TOKEN is not set: put the token from @BotFather in the environment "
            "or in a .env file"
        )
    return settings.bot_token.get_secret_value()


def _database(settings: Settings) -> Database:
    try:
        return Database(settings.database_url)
    except DatabaseURLError as error:
        raise CommandError(f"CHIBO_DATABASE_URL: {error}") from None


async def _reach(database: Database) -> None:
    try:
        await database.check()
    except DatabaseUnreachable as error:
        raise CommandError(str(error)) from None


async def _prepare_database(database: Database) -> migrate.Migration | None:
    """An empty database is created on start; an outdated one asks for `chibo db upgrade`.
    Returns the migration applied, if any."""
    await _reach(database)
    if await migrate.is_empty(database) or database.is_sqlite:
        migration = await migrate.upgrade(database)
        return migration if migration.before != migration.after else None
    if not await migrate.is_current(database):
        raise CommandError("the database schema is outdated: run `chibo db upgrade` first")
    return None


async def _prepare_for_start(settings: Settings, database: Database) -> None:
    """Telegram is asked first, so that a wrong token or no network is one line before any
    log. Then the database, in this event loop of its own, before the bot's: the connections
    it opened are closed with it, since asyncpg binds each connection to the loop that opened
    it and one reused from the pool by the bot would fail its first update."""
    await _ask_telegram_username(settings)
    try:
        migration = await _prepare_database(database)
    finally:
        await database.dispose()
    if migration is not None:
        log.info(
            "database upgraded",
            extra={
                "from_revision": migrate.revision_name(migration.before),
                "to_revision": migrate.revision_name(migration.after),
            },
        )


def _secrets(settings: Settings) -> list[str]:
    """What the logs must never show: the token and the webhook secret, derived or set."""
    if settings.bot_token is not None:
        return [settings.bot_token.get_secret_value(), settings.effective_webhook_secret]
    set_secret = settings.webhook_secret
    return [] if set_secret is None else [set_secret.get_secret_value()]


def run(settings: Settings) -> None:
    _token(settings)
    database = _database(settings)
    asyncio.run(_prepare_for_start(settings, database))
    application = build_application(settings, database, SystemClock())
    # Telegram answered a moment ago; should it stop answering before the bot starts, the
    # error is still one line.
    with _telegram_errors(settings):
        _serve(settings, application, database)


@contextmanager
def _telegram_errors(settings: Settings, advice: str = "") -> Iterator[None]:
    try:
        yield
    except InvalidToken:
        raise CommandError(
            "Telegram refused CHIBO_BOT_TOKEN: check it against the token from @BotFather" + advice
        ) from None
    except NetworkError as error:
        raise CommandError(
            f"cannot reach the Bot API at {settings.bot_api_url} ({error}): check the network "
            f"and CHIBO_BOT_API_URL{advice}"
        ) from None


async def _ask_telegram_username(settings: Settings, advice: str = "") -> str:
    bot = Bot(_token(settings), base_url=settings.bot_api_url, base_file_url=settings.file_url)
    with _telegram_errors(settings, advice):
        async with bot:
            return bot.username


def _serve(settings: Settings, application: ChiboApplication, database: Database) -> None:
    with startup_heap_frozen():
        if settings.served_at is None:
            log.info("starting with long polling")
            # run_polling runs on the current loop.
            asyncio.set_event_loop(new_event_loop())
            application.run_polling(allowed_updates=webhook.ALLOWED_UPDATES)
            return
        if settings.webhook_url:
            log.info("starting in webhook mode")
        else:
            log.info("starting with long polling, serving the dashboard")
        run_on_event_loop(webhook.serve(application, database, settings))


async def _db_command(settings: Settings, action: str, revision: str) -> str:
    database = _database(settings)
    try:
        await _reach(database)
        if action == "revision":
            await migrate.new_revision(database, revision)
            return "migration written to storage/migrations/versions/"
        migrate_to = migrate.upgrade if action == "upgrade" else migrate.downgrade
        try:
            migration = await migrate_to(database, revision)
        except alembic.util.CommandError as error:
            # A revision that does not exist, or a downgrade below the first: Alembic's words.
            raise CommandError(f"database not {action}d: {error}") from None
    finally:
        await database.dispose()
    after = migrate.revision_name(migration.after)
    if migration.before == migration.after:
        return f"database already at {after}: nothing to {action}"
    return f"database {action}d from {migrate.revision_name(migration.before)} to {after}"


def _health(settings: Settings) -> str:
    """Where chibo serves HTTP (webhook mode, or the dashboard in polling mode): the running
    bot's /healthz (which checks the database); otherwise the database."""
    if settings.served_at is not None:
        return _served_health(*settings.served_at)
    try:
        return asyncio.run(_database_health(settings))
    except CommandError as error:  # a URL that names no usable database: unhealthy too
        raise Unhealthy(str(error)) from None


async def _database_health(settings: Settings) -> str:
    database = _database(settings)
    try:
        await _reach(database)
    finally:
        await database.dispose()
    return "ok: the database answers"


def _served_health(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_SECONDS):
            return f"ok: {url} answers"
    except urllib.error.HTTPError as error:
        raise Unhealthy(f"{url} answered {error.code} {error.reason}") from None
    except OSError as error:  # refused, timed out: the bot is not serving
        reason = getattr(error, "reason", None) or error
        raise Unhealthy(f"{url} does not answer ({reason})") from None


async def _bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        raise CommandError(
            "the link needs the bot's username: set CHIBO_BOT_USERNAME (that is enough "
            "for `org create` and `org link`), or CHIBO_BOT_TOKEN to ask Telegram for it"
        )
    return await _ask_telegram_username(settings, "; or set CHIBO_BOT_USERNAME")


async def _setup_link(
    settings: Settings, name: str, cutoff_day: int | None, plan_due_day: int | None = None
) -> str:
    """`org create` (cutoff day given, and the plan-by day if any) or `org link`: the setup
    link of an organisation."""
    username = await _bot_username(settings)
    database = _database(settings)
    try:
        await _prepare_database(database)
        now = SystemClock().now()
        if cutoff_day is None:
            created = await supervisor_link(database, name, now)
        else:
            created = await create_organisation(
                database, name, now, cutoff_day=cutoff_day, plan_due_day=plan_due_day
            )
    except Refused as refusal:
        english = Translator(settings.zone, "en").render(refusal.text, "en")
        failed = "organisation not created" if cutoff_day is not None else "no link made"
        raise CommandError(f"{failed}: {english}") from None
    finally:
        await database.dispose()
    headline = (
        f"organisation #{created.organisation_id} created."
        if cutoff_day is not None
        else f"new supervisor link for organisation #{created.organisation_id}."
    )
    expires = created.expires_at.astimezone(settings.zone)
    return (
        f"{headline}\n"
        f"Setup link (one use, valid until {expires:%Y-%m-%d %H:%M} {settings.timezone}); "
        f"the person who opens it becomes a supervisor of the organisation:\n"
        f"{deep_link(username, created.setup_token)}"
    )


async def _export(settings: Settings, name: str, year: int | None, out: Path | None) -> str:
    """`org export`: the organisation's archive as a ZIP, written aside and then renamed into
    place, so that a failed export leaves no half file."""
    database = _database(settings)
    service_settings = service_settings_of(settings)
    translator = Translator(settings.zone, service_settings.default_language)
    target = out or Path(f"{name_part(name)}.zip")
    partial = target.with_name(f".{target.name}.partial")
    try:
        await _prepare_database(database)
        with partial.open("wb") as handle:
            names = await export_organisation(
                database,
                name,
                year,
                handle,
                now=SystemClock().now(),
                settings=service_settings,
                render=lambda text: translator.render(text, service_settings.default_language),
                store=FileStore(settings.file_store),
            )
        partial.replace(target)
    except Refused as refusal:
        raise CommandError(
            f"no archive written: {Translator(settings.zone, 'en').render(refusal.text, 'en')}"
        ) from None
    except OSError as error:
        raise CommandError(f"no archive written: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
        await database.dispose()
    return f"{target}: {len(names)} files"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="chibo", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling, or webhook with CHIBO_WEBHOOK_URL)")
    db = commands.add_parser("db", help="database schema")
    db_actions = db.add_subparsers(dest="db_action", required=True)
    up = db_actions.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    down = db_actions.add_parser("downgrade", help="revert migrations")
    down.add_argument("revision", nargs="?", default="-1")
    new = db_actions.add_parser("revision", help="write a migration for the models' changes")
    new.add_argument("revision", metavar="MESSAGE")
    org = commands.add_parser("org", help="organisations")
    org_actions = org.add_subparsers(dest="org_action", required=True)
    create = org_actions.add_parser("create", help="create one and print its setup link")
    create.add_argument("name")
    create.add_argument(
        "--cutoff-day",
        type=int,
        default=DEFAULT_CUTOFF_DAY,
        help="day of the month by which the regular meeting is due (1-28)",
    )
    create.add_argument(
        "--plan-due-day",
        type=int,
        default=None,
        help="day of the month by which next month's regular meeting is to be planned "
        "(1-28); without it, no plan-by day",
    )
    link = org_actions.add_parser(
        "link", help="a new one-use setup link for one more supervisor of an organisation"
    )
    link.add_argument("name")
    export = org_actions.add_parser(
        "export",
        help="write an organisation's archive as one ZIP: every recorded meeting's minutes, "
        "the papers handed in, and each year's workbooks",
    )
    export.add_argument("name")
    export.add_argument("--year", type=int, help="that year alone (default: every year)")
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="where to write it (default: NAME.zip here)"
    )
    commands.add_parser(
        "health",
        help="exit 0 when the bot is healthy: its /healthz in webhook mode, else the database",
    )
    demo = commands.add_parser(
        "demo",
        help="play a quarter of an organisation's meeting life on this machine (no token, "
        "no internet) and write its digest and minutes into a folder",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        metavar="DIR",
        help="folder for the files it writes (default: demo-output)",
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help="October and December only, without the daily reminders (about half the time)",
    )
    demo.add_argument(
        "--serve",
        action="store_true",
        help="at the end, keep serving the supervisors' dashboard on this machine until Ctrl+C",
    )
    demo.add_argument(
        "--port",
        type=int,
        default=DEMO_PORT,
        help=f"the dashboard's local port with --serve (default: {DEMO_PORT})",
    )
    return root


def drop_late_loop_errors(args: threading.ExceptHookArgs) -> None:
    """aiosqlite's worker thread may hand back its last result after a failed command's event
    loop has closed: the operator has had their one line by then, so that late report of a
    closed loop is dropped instead of printed as a traceback. Anything else is reported."""
    if isinstance(args.exc_value, RuntimeError) and str(args.exc_value) == "Event loop is closed":
        return
    threading.__excepthook__(args)


def main(argv: Sequence[str] | None = None) -> int:
    threading.excepthook = drop_late_loop_errors
    arguments = parser().parse_args(argv)
    secrets: list[str] = []
    try:
        settings = _settings()
        secrets = _secrets(settings)
        configure_logging(settings.log_level, secrets)
        if arguments.command == "run":
            run(settings)
        elif arguments.command == "db":
            print(asyncio.run(_db_command(settings, arguments.db_action, arguments.revision)))
        elif arguments.command == "org" and arguments.org_action == "export":
            print(asyncio.run(_export(settings, arguments.name, arguments.year, arguments.out)))
        elif arguments.command == "org":
            creating = arguments.org_action == "create"
            cutoff_day = arguments.cutoff_day if creating else None
            plan_due_day = arguments.plan_due_day if creating else None
            print(asyncio.run(_setup_link(settings, arguments.name, cutoff_day, plan_due_day)))
        elif arguments.command == "health":
            print(_health(settings))
        elif arguments.command == "demo":
            try:
                summary, status = demo_command(
                    arguments.out, arguments.quick, arguments.serve, arguments.port
                )
            except DemoError as error:
                raise CommandError(f"the demo stopped: {error}") from error
            print(summary)
            return status
    except CommandError as error:
        _error(str(error), secrets)
        return error.status
    except DBAPIError as error:  # reached, then refused: permissions, a broken schema, …
        _error(f"the database refused: {error.orig}", secrets)
        return CommandError.status
    return 0


def _error(message: str, secrets: list[str]) -> None:
    for secret in secrets:
        message = message.replace(secret, "<redacted>")
    print(f"chibo: error: {' '.join(message.split())}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
