"""A local Telegram Bot API server for running the real PTB Application in tests.

Usage::

    emu = BotApiEmulator()
    await emu.start()
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )

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
