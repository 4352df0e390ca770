"""Every button the bot issues and every question it asks reaches a use case that takes it."""

from __future__ import annotations

import ast
import importlib
import pathlib
from dataclasses import dataclass

import pytest

from services import routes
from services.cells import roster
from services.errors import Refused
from services.papers import materials

SERVICES = pathlib.Path(__file__).resolve().parent.parent / "services"


def _issued_button_kinds() -> set[str]:
    """The kind of every button made in the services: the string that follows a label
    (``Text(...)``) in a call, as ``ButtonMaker`` and ``actions.button`` take them."""
    kinds: set[str] = set()
    for path in SERVICES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            for label, kind in zip(node.args, node.args[1:], strict=False):
                is_label = (
                    isinstance(label, ast.Call)
                    and isinstance(label.func, ast.Name)
                    and label.func.id == "Text"
                )
                if is_label and isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                    kinds.add(kind.value)
    return kinds


def _asked_question_kinds() -> set[str]:
    """Every question kind: the services name them in module constants ``ASK_…``."""
    kinds: set[str] = set()
    for path in SERVICES.rglob("*.py"):
        module = importlib.import_module(
            ".".join(path.relative_to(SERVICES.parent).with_suffix("").parts)
        )
        for name, value in vars(module).items():
            if name.startswith("ASK_") and isinstance(value, str):
                kinds.add(value)
    return kinds


def test_every_issued_button_has_a_use_case() -> None:
    routes.discover()
    issued = _issued_button_kinds()
    assert len(issued) > 40, "the scan no longer finds the buttons"
    assert issued - set(routes.BUTTONS) == set()


def test_every_question_has_a_use_case_for_its_answer() -> None:
    routes.discover()
    asked = _asked_question_kinds()
    assert len(asked) > 10
    # A document, not text, answers the questions for materials and for a member list.
    answered = set(routes.ANSWERS) | {materials.ASK_MATERIALS, roster.ASK_ROSTER}
    assert asked - answered == set()


@dataclass(frozen=True)
class _Page:
    cell_id: int
    page: int = 0


async def test_a_payload_that_does_not_fit_is_a_stale_button() -> None:
    seen: list[_Page] = []

    async def use_case(request: object, payload: _Page) -> object:
        seen.append(payload)
        return None

    route = routes.Route("test.page", use_case, routes.TypeAdapter(_Page))  # type: ignore[arg-type]
    await route(None, {"cell_id": "7", "extra": "kept out"})  # type: ignore[arg-type]
    assert seen == [_Page(cell_id=7)]
    with pytest.raises(Refused) as refusal:
        await route(None, {"page": 1})  # type: ignore[arg-type]
    assert refusal.value.text.key == "error.stale_button"


def test_two_use_cases_cannot_claim_one_kind() -> None:
    routes.discover()
    taken = next(iter(routes.BUTTONS))
    with pytest.raises(RuntimeError, match="two use cases"):
        routes.button(taken)(lambda request: None)  # type: ignore[arg-type,return-value]
