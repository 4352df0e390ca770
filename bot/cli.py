"""The `chibo` command: run the bot, migrate the database, create organisations."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from telegram import Bot
from telegram.error import TelegramError

from bot import webhook
from bot.app import build_application
from bot.clock import SystemClock
from bot.demo import DemoError, demo_command
from bot.i18n import Translator
from bot.logging import configure_logging
from bot.settings import Settings
from domain.invites import deep_link
from domain.organisations import DEFAULT_CUTOFF_DAY
from services.errors import Refused
from services.onboarding import create_organisation, supervisor_link
from storage import migrate
from storage.db import Database

log = logging.getLogger("chibo")


class CommandError(Exception):
    """A one-line explanation for the person at the terminal; no traceback."""


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


async def _prepare_database(database: Database) -> None:
    """An empty database is created on start; an outdated one asks for `chibo db upgrade`."""
    if await migrate.is_empty(database) or database.is_sqlite:
        await migrate.upgrade(database)
    elif not await migrate.is_current(database):
        raise CommandError("the database schema is outdated: run `chibo db upgrade` first")


def _secrets(settings: Settings) -> list[str]:
    return [
        secret.get_secret_value()
        for secret in (settings.bot_token, settings.webhook_secret)
        if secret is not None
    ]


def run(settings: Settings) -> None:
    _token(settings)
    database = Database(settings.database_url)
    asyncio.run(_prepare_database(database))
    application = build_application(settings, database, SystemClock())
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        log.info("starting in webhook mode")
        asyncio.run(
            webhook.serve(
                application,
                database,
                public_url=settings.webhook_url,
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                secret=secret,
            )
        )
    else:
        log.info("starting with long polling")
        application.run_polling(allowed_updates=webhook.ALLOWED_UPDATES)


async def _db_command(settings: Settings, action: str, revision: str) -> str:
    database = Database(settings.database_url)
    try:
        if action == "upgrade":
            await migrate.upgrade(database, revision)
        elif action == "revision":
            await migrate.new_revision(database, revision)
            return "migration written to storage/migrations/versions/"
        else:
            await migrate.downgrade(database, revision)
    finally:
        await database.dispose()
    return f"database {action}d to {revision}"


async def _bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    bot = Bot(_token(settings), base_url=settings.bot_api_url, base_file_url=settings.file_url)
    try:
        async with bot:
            return bot.username
    except TelegramError as error:
        raise CommandError(
            f"could not ask Telegram for the bot's username ({type(error).__name__}); "
            "set CHIBO_BOT_USERNAME"
        ) from error


async def _setup_link(settings: Settings, name: str, cutoff_day: int | None) -> str:
    """`org create` (cutoff day given) or `org link`: the setup link of an organisation."""
    username = await _bot_username(settings)
    database = Database(settings.database_url)
    try:
        await _prepare_database(database)
        now = SystemClock().now()
        if cutoff_day is None:
            created = await supervisor_link(database, name, now)
        else:
            created = await create_organisation(database, name, now, cutoff_day=cutoff_day)
    except Refused as refusal:
        english = Translator(settings.zone, "en").render(refusal.text, "en")
        raise CommandError(f"organisation not created: {english}") from None
    finally:
        await database.dispose()
    headline = (
        f"organisation #{created.organisation_id} created."
        if cutoff_day is not None
        else f"new supervisor link for organisation #{created.organisation_id}."
    )
    return (
        f"{headline}\n"
        f"Setup link (one use, valid until {created.expires_at:%Y-%m-%d %H:%M} UTC); "
        f"the person who opens it becomes a supervisor of the organisation:\n"
        f"{deep_link(username, created.setup_token)}"
    )


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
    return root


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    try:
        settings = _settings()
        configure_logging(settings.log_level, _secrets(settings))
        if arguments.command == "run":
            run(settings)
        elif arguments.command == "db":
            print(asyncio.run(_db_command(settings, arguments.db_action, arguments.revision)))
        elif arguments.command == "org":
            cutoff_day = arguments.cutoff_day if arguments.org_action == "create" else None
            print(asyncio.run(_setup_link(settings, arguments.name, cutoff_day)))
        elif arguments.command == "demo":
            try:
                summary, status = demo_command(arguments.out, arguments.quick)
            except DemoError as error:
                raise CommandError(f"the demo stopped: {error}") from error
            print(summary)
            return status
    except CommandError as error:
        print(f"chibo: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
