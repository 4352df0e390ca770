"""Buttons for working groups: their use cases register themselves (services.working_groups)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain.messages import Reply
from handlers.common import ChiboContext
from services.actions import Action
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]

ROUTES: dict[str, Route] = {}
