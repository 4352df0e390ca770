"""Deployment settings, from the environment (prefix CHIBO_) and an optional .env file."""

from __future__ import annotations

import hashlib
import hmac
import re
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, FilePath, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.pacing import MESSAGES_PER_SECOND
from domain.roles import Language

TELEGRAM_API_URL = "https://api.telegram.org/bot"
# What Telegram accepts as a webhook's secret token.
WEBHOOK_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Mixed with the token into the webhook secret no one set, so it is not the token itself.
_DERIVED_SECRET_LABEL = b"chibo webhook secret token"
# Where the supervisors' dashboard (a Telegram Mini App) is served, under the public address.
DASHBOARD_PATH = "/app"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHIBO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = Field(default=None, description="Bot token from @BotFather")
    database_url: str = "sqlite+aiosqlite:///chibo.db"
    bot_api_url: str = TELEGRAM_API_URL
    bot_api_file_url: str | None = None
    bot_username: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    default_language: Language = Language.VI
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: SecretStr | None = None
    # The dashboard's public HTTPS address in polling mode, and where its server listens behind
    # the reverse proxy; in webhook mode it is served under CHIBO_WEBHOOK_URL instead.
    web_url: str | None = None
    web_listen: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    # How old a Mini App's launch data may be: older, the dashboard asks to be opened again.
    web_app_max_age_hours: float = Field(default=24, gt=0, le=24 * 30)
    member_invite_days: int = Field(default=14, ge=1, le=365)
    outbox_poll_seconds: float = Field(default=2.0, gt=0)
    planner_seconds: float = Field(default=60.0, gt=0)
    # How long a dispatcher holds the messages it claimed; a crashed one's go to another then.
    outbox_lease_seconds: float = Field(default=120.0, gt=0)
    concurrent_updates: int = Field(default=1, ge=1, le=256)
    # This process's share of Telegram's 30 messages a second: each replica paces itself,
    # so N replicas of one bot take 29/N each.
    messages_per_second: float = Field(default=MESSAGES_PER_SECOND, ge=1, le=MESSAGES_PER_SECOND)
    # Share of the expected members who must be present for a valid meeting, e.g. "2/3".
    quorum: Fraction = Fraction(2, 3)
    log_level: str = "INFO"
    file_store: Path = Path("chibo-files")
    # The Bot API's download limit; raise it with a self-hosted Bot API server.
    max_file_mb: int = Field(default=20, ge=1, le=2000)
    # An organisation's own Word template of the minutes (a .docx with the default one's tags).
    minutes_template: FilePath | None = None

    @field_validator("quorum", mode="before")
    @classmethod
    def _fraction(cls, value: object) -> Fraction:
        try:
            quorum = Fraction(str(value))
        except (ValueError, ZeroDivisionError) as error:
            raise ValueError(f"not a fraction like 2/3: {value!r}") from error
        if not 0 < quorum <= 1:
            raise ValueError("must be between 0 and 1, like 2/3")
        return quorum

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET_FORMAT.fullmatch(value.get_secret_value()):
            raise ValueError("1 to 256 characters of A-Z, a-z, 0-9, _ and -, as Telegram requires")
        return value

    @field_validator("web_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        # Telegram opens a Mini App only over HTTPS: any other address would make every
        # button to the dashboard, and so every reply carrying one, fail.
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be an https:// address: Telegram opens Mini Apps so only")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_webhook_secret(self) -> str:
        """The secret Telegram sends with every webhook call: the one set, or else one derived
        from the token, so that webhook mode never runs open and every replica agrees on it
        without another setting."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        if self.bot_token is None:
            raise ValueError("CHIBO_BOT_TOKEN is not set")
        token = self.bot_token.get_secret_value().encode()
        return hmac.new(token, _DERIVED_SECRET_LABEL, hashlib.sha256).hexdigest()

    @property
    def dashboard_url(self) -> str | None:
        """The dashboard's public address, or None when chibo has none to serve it at (a
        webhook reached over plain HTTP, as behind a test's proxy, has none either)."""
        base = self.webhook_url or self.web_url
        if base is None or not base.startswith("https://"):
            return None
        return base.rstrip("/") + DASHBOARD_PATH + "/"

    @property
    def served_at(self) -> tuple[str, int] | None:
        """Where chibo's own web server listens: the webhook's address in webhook mode, the
        dashboard's in polling mode with CHIBO_WEB_URL; None: it serves nothing over HTTP."""
        if self.webhook_url:
            return self.webhook_listen, self.webhook_port
        if self.web_url:
            return self.web_listen, self.web_port
        return None

    @property
    def file_url(self) -> str:
        """Files download from /file/bot<token>/ beside /bot<token>/ on every Bot API server."""
        if self.bot_api_file_url:
            return self.bot_api_file_url
        base = self.bot_api_url
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base
