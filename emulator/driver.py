"""One chat driver: the emulator on 127.0.0.1 and an application talking to it over HTTP,
moved as users would move it. The tests, the benchmarks and ``chibo demo`` all use it.

It knows nothing of the bot it drives: the caller builds the application (the real one, or a
bare PTB one) pointed at ``emulator.base_url`` and ``emulator.base_file_url``; the driver
starts it (long polling, or no polling when updates are handed to it as a webhook would),
sends a user's text, command or document, presses a button by its label, opens a Web App
button's Mini App as Telegram would (signed with the bot's token), waits until the update was
handled, and stops everything cleanly::

    async with running_emulator(token, "my_bot") as emulator:
        application = build(emulator.base_url, emulator.base_file_url)
        async with running(application):
            chat = ChatDriver(emulator, application)
            menu = await chat.send(user, "/start")
            await chat.press(user, menu, "English")
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Collection, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.types import ASGIApp

from .core import BotApiEmulator
from .models import EmuChat, EmuUser, SentMessage
from .webapp import launch_url

if TYPE_CHECKING:
    from telegram.ext import Application

    AnyApplication = Application[Any, Any, Any, Any, Any, Any]

HOST = "127.0.0.1"


class ChatError(AssertionError):
    """The bot did not do what the scenario expects; the message says where."""


@asynccontextmanager
async def running_emulator(
    token: str, bot_username: str, bot_first_name: str = "Chibo", **options: Any
) -> AsyncIterator[BotApiEmulator]:
    """The emulator serving on 127.0.0.1, on a free port, stopped at the end."""
    emulator = BotApiEmulator(
        token=token, bot_username=bot_username, bot_first_name=bot_first_name, **options
    )
    await emulator.start(host=HOST, port=0)
    try:
        yield emulator
    finally:
        await emulator.stop()


@asynccontextmanager
async def running(
    application: AnyApplication,
    *,
    polling: bool = True,
    disabled_jobs: Sequence[str] = (),
    poll_timeout: int = 1,
) -> AsyncIterator[AnyApplication]:
    """Started the way ``run_polling`` starts it (``polling=False``: as ``run_webhook`` does,
    the updates handed to it), without owning the event loop; stopped and shut down cleanly.

    ``disabled_jobs`` names jobs of its job queue that must not run meanwhile (the caller
    runs them itself, or they would add work unrelated to what is measured).
    """
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        for name in disabled_jobs:
            assert application.job_queue is not None
            for job in application.job_queue.get_jobs_by_name(name):
                job.enabled = False
        if polling:
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0.0, timeout=poll_timeout)
        try:
            yield application
        finally:
            if polling and application.updater is not None:
                await application.updater.stop()
            await application.stop()
    finally:
        await application.shutdown()


class Finishes:
    """When each update's handling finished (``time.perf_counter``), recorded around the
    application's update processor, whichever it is: PTB's bounded concurrency keeps working.
    A benchmark times updates with it, so a finish costs the same however many are awaited."""

    def __init__(self, application: AnyApplication) -> None:
        self.at: dict[int, float] = {}
        self._waiting: list[tuple[set[int], asyncio.Event]] = []
        processor = application.update_processor
        original = processor.do_process_update

        async def recorded(update: object, coroutine: Awaitable[Any]) -> None:
            try:
                await original(update, coroutine)
            finally:
                update_id = getattr(update, "update_id", None)
                if isinstance(update_id, int):
                    self._finished(update_id)

        processor.do_process_update = recorded  # type: ignore[method-assign]

    def _finished(self, update_id: int) -> None:
        self.at[update_id] = time.perf_counter()
        for unfinished, done in self._waiting:
            unfinished.discard(update_id)
            if not unfinished:
                done.set()

    async def wait(self, update_ids: Collection[int], timeout: float) -> None:  # noqa: ASYNC109
        """Until every one of ``update_ids`` has been handled; TimeoutError after ``timeout``."""
        unfinished = {u for u in update_ids if u not in self.at}
        if not unfinished:
            return
        waiter = (unfinished, asyncio.Event())
        self._waiting.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter[1].wait()
        finally:
            self._waiting.remove(waiter)


@dataclass
class ChatDriver:
    """The emulator and an application started against it, moved like users would.

    ``settled`` is what "the update is done" means beyond its handler: a subclass waits there
    for what the handler left to do (e.g. the messages it queued being sent).
    """

    emulator: BotApiEmulator
    application: AnyApplication
    finishes: Finishes = field(init=False, repr=False)

    #: How long an update may take to be handled.
    settle_timeout = 10.0

    def __post_init__(self) -> None:
        self.finishes = Finishes(self.application)

    async def settled(self) -> None:
        """After an update was handled: nothing more to wait for, unless a subclass says."""

    async def handled(self, update_id: int) -> None:
        """Wait until the update went through the handlers."""
        await self.finishes.wait([update_id], self.settle_timeout)

    async def settle(self, update_id: int) -> None:
        """Wait until the update is handled and what it left to do is done."""
        await self.handled(update_id)
        await self.settled()

    async def send(self, user: EmuUser, text: str, chat: EmuChat | None = None) -> SentMessage:
        """The user sends text (a command, an answer); returns the bot's latest message in
        that chat (the private one unless ``chat`` is given)."""
        await self.settle(self.emulator.send_text(user, text, chat=chat))
        return self.last(chat.id if chat else user.id)

    async def send_document(
        self, user: EmuUser, file_name: str, content: bytes, **options: Any
    ) -> SentMessage:
        """The user sends a file (``options``: the emulator's ``send_document``'s, e.g.
        ``mime_type``, ``chat``); returns the bot's latest message in that chat."""
        chat: EmuChat | None = options.get("chat")
        await self.settle(self.emulator.send_document(user, file_name, content, **options))
        return self.last(chat.id if chat else user.id)

    async def press(self, user: EmuUser, message: SentMessage, label: str) -> SentMessage:
        """The user presses the button labelled ``label``; returns that message as it is now
        (buttons edit their message in place)."""
        try:
            update_id = self.emulator.press_button(user, message, text=label)
        except LookupError as error:
            raise ChatError(str(error)) from None
        await self.settle(update_id)
        pressed = self.emulator.message(message.chat_id, message.message_id)
        assert pressed is not None
        return pressed

    def web_app_of(self, message: SentMessage, label: str) -> str:
        """The address the Web App button labelled ``label`` on ``message`` opens."""
        try:
            button = message.find_button(text=label)
        except LookupError as error:
            raise ChatError(str(error)) from None
        web_app = button.get("web_app")
        if not isinstance(web_app, dict) or not isinstance(web_app.get("url"), str):
            raise ChatError(f"the button {label!r} on message {message.message_id} is no Web App")
        return str(web_app["url"])

    def open_web_app(
        self,
        user: EmuUser,
        url: str,
        *,
        language_code: str | None = None,
        theme: dict[str, str] | None = None,
    ) -> str:
        """The address a Telegram client opens for ``user`` launching the Web App at ``url``
        now, its launch data signed with the bot's token (see ``webapp.launch_url``)."""
        return launch_url(
            url, user, self.emulator.token, self.now(), language_code=language_code, theme=theme
        )

    def now(self) -> datetime:
        """The moment users act at: the wall clock, unless a subclass keeps a clock."""
        return datetime.now(UTC)

    def last(self, chat_id: int) -> SentMessage:
        """The bot's latest message in the chat that is still there."""
        message = self.emulator.last_message(chat_id)
        if message is None:
            raise ChatError(f"the bot said nothing in chat {chat_id}")
        return message

    def answer(self, update_id: int) -> str | None:
        """The text with which the bot answered a button press (None: no answer, or none)."""
        answer = self.emulator.callback_answer(update_id)
        return None if answer is None else answer.get("text")

    def latest_with_button(
        self, chat_id: int, label: str, containing: str = ""
    ) -> SentMessage | None:
        """The latest message still there with a button ``label`` and ``containing`` text."""
        for message in reversed(self.emulator.messages(chat_id, include_deleted=False)):
            if label in message.button_texts() and containing in (message.text or ""):
                return message
        return None

    def messages_since(self, chat_id: int, count: int) -> list[SentMessage]:
        """The bot's messages in the chat after the first ``count`` (``message_count``)."""
        return self.emulator.messages(chat_id)[count:]


LOCAL_HOST = "127.0.0.1"
# How long a local web server may take to accept connections.
SERVER_START_TIMEOUT = 10.0


class _LocalServer(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Ctrl+C is for whoever runs the loop (a test run, the demo), not only this server.
        yield


@asynccontextmanager
async def serving(app: ASGIApp, port: int = 0) -> AsyncIterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 (``port``, or a free one) in the running event
    loop, so that it shares the loop's database and bot; its base URL
    (``http://127.0.0.1:PORT``) once it accepts connections; stopped at the end."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind((LOCAL_HOST, port))
    port = listening.getsockname()[1]
    server = _LocalServer(
        uvicorn.Config(
            app,
            log_level="warning",
            log_config=None,
            access_log=False,
            lifespan="on",
            # A request still open (a stuck handler) cannot hold the end up.
            timeout_graceful_shutdown=5,
        )
    )

    async def run() -> None:
        try:
            await server.serve(sockets=[listening])
        except SystemExit as stop:
            # uvicorn exits when the app cannot start (its log says why): an error of the
            # caller's, the process goes on.
            raise RuntimeError(f"the app did not start (uvicorn exit status {stop.code})") from None

    served = asyncio.create_task(run())
    try:
        async with asyncio.timeout(SERVER_START_TIMEOUT):
            while not server.started:
                if served.done():
                    served.result()
                    raise RuntimeError("the app stopped before it served")
                await asyncio.sleep(0.01)
        yield f"http://{LOCAL_HOST}:{port}"
    finally:
        server.should_exit = True
        await served
        listening.close()
