"""The Application factory: transport, handlers, jobs and the outbox dispatcher."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

import uvloop
from telegram import BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.outbox_render import outbox_call
from bot.pacing import SendingRateLimiter
from bot.settings import Settings
from chat.i18n import Translator
from chat.menus import GROUP_COMMANDS
from chat.rendering import bot_commands
from domain.clock import Clock
from domain.messages import Text
from domain.permissions import Menu
from handlers import attendance, callbacks, digest, meetings, minutes, onboarding, papers
from handlers.admission import DeliveringUpdateProcessor, admit_update, on_error
from handlers.common import STATE_KEY, AppState, ChiboContext
from scheduler import jobs
from scheduler.dispatcher import OutboxDispatcher
from services import routes
from services.config import ServiceSettings
from storage.db import Database
from storage.files import FileStore

PRIVATE_COMMANDS = {
    "schedule": meetings.schedule,
    "meetings": meetings.plan,
    "attendance": attendance.overview,
    "checkin": attendance.check_in,
    "submit": papers.submit,
    "minutes": minutes.history,
    "tasks": minutes.tasks,
    "digest": digest.choose,
    "newcell": onboarding.new_cell,
    "cells": onboarding.list_cells,
    "invite": onboarding.invite,
    "members": onboarding.members,
    "import": onboarding.import_members,
    "lang": onboarding.lang,
}

ChiboApplication = Application[Any, ChiboContext, Any, Any, Any, Any]

T = TypeVar("T")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The loop the bot runs on: uvloop's, on which the callbacks of an update's every step
    (HTTP, the database driver's replies and, for SQLite, its thread's) cost less."""
    return uvloop.new_event_loop()


def run_on_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the bot's loop."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)


@contextmanager
def startup_heap_frozen() -> Iterator[None]:
    """For as long as the bot serves, once it is built: what is there then (the modules, the
    application, the engine, some 300 000 objects) lives as long as the bot, so it is moved
    out of the garbage collector's sight. Each full pass of the collector walked all of it
    (0.1-0.3 s in which no update is answered); it walks what came later."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def service_settings_of(settings: Settings) -> ServiceSettings:
    """What the use cases read of the deployment's settings."""
    return ServiceSettings(
        default_language=settings.default_language.value,
        member_invite_days=settings.member_invite_days,
        zone=settings.zone,
        quorum=settings.quorum,
        minutes_template=settings.minutes_template,
        dashboard_url=settings.dashboard_url,
    )


def build_application(settings: Settings, database: Database, clock: Clock) -> ChiboApplication:
    if settings.bot_token is None:
        raise ValueError("CHIBO_BOT_TOKEN is not set")
    routes.discover()
    translator = Translator(settings.zone, settings.default_language.value)
    application: ChiboApplication = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.bot_api_url)
        .base_file_url(settings.file_url)
        .rate_limiter(SendingRateLimiter(settings.messages_per_second))
        .context_types(ContextTypes(context=ChiboContext))
        .concurrent_updates(DeliveringUpdateProcessor(settings.concurrent_updates))
        .post_init(_on_start)
        .build()
    )
    files = FileStore(settings.file_store)
    dispatcher = OutboxDispatcher(
        database,
        application.bot,
        lambda method, chat_id, payload: outbox_call(method, chat_id, payload, translator, files),
        clock,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
    )
    job_queue = application.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is a dependency"
    service_settings = service_settings_of(settings)

    def wake_outbox() -> None:
        jobs.wake_dispatcher(job_queue, dispatcher)

    application.bot_data[STATE_KEY] = AppState(
        database=database,
        clock=clock,
        translator=translator,
        settings=service_settings,
        files=files,
        max_file_bytes=settings.max_file_mb * 1024 * 1024,
        wake_outbox=wake_outbox,
    )
    application.bot_data["dispatcher"] = dispatcher

    def render_for(lang: str) -> Callable[[Text], str]:
        return lambda text: translator.render(text, lang)

    planner = jobs.Planner(database, clock, service_settings, wake_outbox, render_for, files)
    application.bot_data["planner"] = planner
    jobs.install(
        job_queue, dispatcher, planner, settings.outbox_poll_seconds, settings.planner_seconds
    )
    _add_handlers(application)
    return application


def _add_handlers(application: ChiboApplication) -> None:
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    application.add_handler(TypeHandler(Update, admit_update), group=-1)
    # First: button presses are most of the updates, and no other handler takes one.
    application.add_handler(CallbackQueryHandler(callbacks.on_button))
    application.add_handler(CommandHandler("start", onboarding.start, filters=private))
    application.add_handler(CommandHandler("help", onboarding.help_command))
    for name, callback in PRIVATE_COMMANDS.items():
        application.add_handler(CommandHandler(name, callback, filters=private))
    application.add_handler(CommandHandler("linkgroup", onboarding.link_group, filters=groups))
    application.add_handler(
        CommandHandler([*PRIVATE_COMMANDS, "start"], onboarding.private_only, filters=groups)
    )
    application.add_handler(
        CommandHandler("linkgroup", onboarding.link_group_in_private, filters=private)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, onboarding.group_migrated))
    application.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, onboarding.text)
    )
    application.add_handler(MessageHandler(private & filters.Document.ALL, papers.document))
    application.add_handler(MessageHandler(private & filters.COMMAND, onboarding.unknown_command))
    application.add_error_handler(on_error)


async def _on_start(application: ChiboApplication) -> None:
    """Menus for everyone; a person's own menu (by role) is set when their roles change."""
    state: AppState = application.bot_data[STATE_KEY]
    translator = state.translator
    bot = application.bot
    for lang in (None, "vi", "en"):
        rendered = translator.language(lang)
        await bot.set_my_commands(
            bot_commands([Menu.MEMBER], rendered, translator),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=lang,
        )
        await bot.set_my_commands(
            [(name, translator.text(rendered, key)) for name, key in GROUP_COMMANDS],
            scope=BotCommandScopeAllGroupChats(),
            language_code=lang,
        )
