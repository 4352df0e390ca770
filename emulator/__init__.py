"""A local Telegram Bot API server for running the real PTB Application in tests.

Point PTB at ``base_url`` and ``base_file_url`` (``ApplicationBuilder().base_url(...)``);
``emulator.driver`` starts the emulator and an application against it and moves users::

    async with running_emulator(token, "my_bot") as emu, running(build(emu)) as app:
        menu = await ChatDriver(emu, app).send(emu.user(1, "An"), "/start")

Only the standard library and aiohttp are used, so it can run anywhere the bot runs.
"""

from .core import BotApiEmulator
from .errors import ApiError
from .faults import FaultKind
from .models import ApiCall, EmuChat, EmuUser, SentMessage
from .webhook import SECRET_HEADER, WebhookAttempt

__all__ = [
    "SECRET_HEADER",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "EmuChat",
    "EmuUser",
    "FaultKind",
    "SentMessage",
    "WebhookAttempt",
]
