"""Which update and which handler a log line belongs to: set by the admission pre-handler,
each handler and each scheduler job, read by the JSON formatter."""

from __future__ import annotations

import contextvars

update_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "update_id", default=None
)
handler_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("handler", default=None)
