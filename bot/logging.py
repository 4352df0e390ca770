"""Structured logs: one JSON line per event, with the update and handler, and no secrets.

Personal data never goes into a log call in the first place (ids only); the token is
additionally scrubbed from every line, because libraries log request URLs that contain it.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

from chat.log_context import handler_var, update_id_var

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if (update_id := update_id_var.get()) is not None:
            entry["update_id"] = update_id
        if (handler := handler_var.get()) is not None:
            entry["handler"] = handler
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            # Frames only: exception messages can quote SQL parameters, i.e. members' names.
            entry["where"] = [
                f"{frame.filename}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(record.exc_info[2])[-8:]
            ]
        return self._scrub(json.dumps(entry, ensure_ascii=False, default=str))

    def _scrub(self, line: str) -> str:
        for secret in self._secrets:
            line = line.replace(secret, "<redacted>")
        return line


def configure_logging(level: str, secrets: list[str], stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO, and the URL holds the bot token; PTB logs whole
    # updates and API results (names, usernames, texts) at DEBUG. Neither goes below these
    # levels, whatever CHIBO_LOG_LEVEL says.
    floor = {
        "httpx": logging.WARNING,
        "httpcore": logging.WARNING,
        "telegram": logging.INFO,
        # A dispatch wake-up while a run is under way is expected, not a warning.
        "apscheduler": logging.ERROR,
        "aiosqlite": logging.WARNING,
        "sqlalchemy": logging.WARNING,
        "tornado": logging.INFO,
    }
    for name, level_floor in floor.items():
        logging.getLogger(name).setLevel(max(root.level, level_floor))
