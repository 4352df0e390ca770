"""Where a button press or a typed answer goes: each use case registers itself, by the kind of
button or question it serves and the typed payload it takes.

A use case says ``@button("rsvp", RsvpChoice)`` (or ``@answer(ASK_NOTE, Note)``) on its own
definition, so the walk from a button's kind to the code behind it is one search. The payload
stored with the button (or with the question, plus the typed ``text``) is validated into that
type before the use case runs; one that does not fit (a button from an older release, a forged
row) is a stale button, never a crash inside the use case.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from pydantic import TypeAdapter, ValidationError

from domain.messages import Reply
from services.actions import Action
from services.errors import refused
from services.request import Request

Payload = TypeVar("Payload")
UseCase = Callable[[Request, Payload], Awaitable[Reply]]
PlainUseCase = Callable[[Request], Awaitable[Reply]]


@dataclass(frozen=True)
class _Nothing:
    """The payload of a use case that needs nothing but the request."""


@dataclass(frozen=True)
class Route(Generic[Payload]):
    kind: str
    use_case: UseCase[Payload]
    payload: TypeAdapter[Payload]
    # The use case's first transaction is short, and commits the update's claim with its
    # work (services/updates.py: HeldClaim): one commit a press instead of two.
    with_claim: bool = False
    # The payload's field that a choice made on the button fills (services.actions:
    # with_choice); None: the button offers no choices.
    choice: str | None = None

    async def __call__(
        self, request: Request, stored: Mapping[str, Any], choice: str | None = None
    ) -> Reply:
        values = dict(stored)
        if choice is not None:
            if self.choice is None:
                raise refused("error.stale_button")
            values[self.choice] = choice
        try:
            payload = self.payload.validate_python(values)
        except ValidationError as error:
            raise refused("error.stale_button") from error
        return await self.use_case(request, payload)


BUTTONS: dict[str, Route[Any]] = {}
ANSWERS: dict[str, Route[Any]] = {}


def holds_claim(action: Action | None) -> bool:
    """Whether the use case behind a pressed button goes on in its update's claim."""
    route = BUTTONS.get(action.kind) if action is not None else None
    return route is not None and route.with_claim


def _register(table: dict[str, Route[Any]], kind: str, route: Route[Any]) -> None:
    if kind in table:
        raise RuntimeError(f"two use cases claim {kind!r}")
    table[kind] = route


@overload
def button(kind: str) -> Callable[[PlainUseCase], PlainUseCase]: ...
@overload
def button(
    kind: str, payload: type[Payload], *, with_claim: bool = False, choice: str | None = None
) -> Callable[[UseCase[Payload]], UseCase[Payload]]: ...
def button(
    kind: str,
    payload: type[Any] | None = None,
    *,
    with_claim: bool = False,
    choice: str | None = None,
) -> Callable[[Any], Any]:
    """Registers the use case a button of ``kind`` performs, with its payload's type (none:
    the use case takes the request alone).

    ``with_claim``: the use case opens its transaction at once and keeps it short (a few
    rows read and written, nothing slow inside), so the update's claim is held for it and
    committed with its work. On SQLite the claim holds the database's write lock until then,
    which a long read inside would keep from every other writer.

    ``choice``: the payload's field filled by a choice made on the button (its menu's buttons
    are drawn with ``services.actions.with_choice``); it is validated with the rest of the
    payload."""
    if choice is not None and choice not in getattr(payload, "__dataclass_fields__", {}):
        raise TypeError(f"{kind!r} offers choices its payload has no field {choice!r} for")
    return _registrar(BUTTONS, kind, payload, with_claim, choice)


def answer(kind: str, payload: type[Payload]) -> Callable[[UseCase[Payload]], UseCase[Payload]]:
    """Registers the use case that takes the typed answer to a question of ``kind``; the
    payload type has a ``text`` field for what was typed."""
    if "text" not in getattr(payload, "__dataclass_fields__", {}):
        raise TypeError(f"{payload.__name__} takes no typed text")
    return _registrar(ANSWERS, kind, payload)


def _registrar(
    table: dict[str, Route[Any]],
    kind: str,
    payload: type[Any] | None,
    with_claim: bool = False,
    choice: str | None = None,
) -> Callable[[Any], Any]:
    def register(use_case: Any) -> Any:
        if payload is None:

            async def without_payload(request: Request, _: _Nothing) -> Reply:
                reply: Reply = await use_case(request)
                return reply

            _register(table, kind, Route(kind, without_payload, TypeAdapter(_Nothing)))
        else:
            route = Route(kind, use_case, TypeAdapter(payload), with_claim, choice)
            _register(table, kind, route)
        return use_case

    return register


def discover() -> None:
    """Imports every use-case module, so that each has registered its routes before the
    first update."""
    import services

    for module in pkgutil.walk_packages(services.__path__, "services."):
        importlib.import_module(module.name)
