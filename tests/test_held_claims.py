"""A button press's claim of its update, held for its use case's first transaction
(services/updates.py: HeldClaim), as two deliveries of the same press meet it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select

from domain.messages import Reply
from services import routes, updates
from services.actions import Action
from services.request import Request
from storage.db import Database
from storage.models import ProcessedUpdate
from tests.harness import RunningBot

UPDATE_ID = 4_200_001


def any_button(_: Action | None) -> bool:
    """The claim is held whatever the button."""
    return True


async def test_a_claim_rolled_back_while_another_delivery_took_the_update_is_not_taken_twice(
    database: Database,
) -> None:
    """The first delivery's work fails: its claim goes with it, and the second delivery of
    the press (another replica) takes the update. The first, claiming it again to apologise,
    finds it taken: it stays silent, and the update counts as recorded (acknowledged)."""
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    first = await updates.admit(database, UPDATE_ID, None, now, button_data="x", hold=any_button)
    assert first is not None and first.claim is not None
    # The second delivery's claim waits on the first's, not yet committed.
    second_admission = asyncio.create_task(
        updates.admit(database, UPDATE_ID, None, now, button_data="x", hold=any_button)
    )
    with pytest.raises(RuntimeError):
        async with first.claim.transaction():
            raise RuntimeError("the use case failed")
    second = await second_admission
    assert second is not None and second.claim is not None, "the update was free again"
    first_settling = asyncio.create_task(first.claim.settle())
    assert await second.claim.settle()
    assert await first_settling is False
    assert first.claim.recorded and second.claim.recorded
    # A third delivery is a replay.
    assert await updates.admit(database, UPDATE_ID, None, now, button_data="x") is None


async def test_a_claim_never_settled_is_rolled_back_and_the_update_comes_again(
    database: Database,
) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    held = await updates.admit(database, UPDATE_ID, None, now, button_data="x", hold=any_button)
    assert held is not None and held.claim is not None
    await held.claim.release()
    assert not held.claim.recorded
    again = await updates.admit(database, UPDATE_ID, None, now, button_data="x")
    assert again is not None, "the update was not taken as handled"


async def test_a_button_not_registered_with_its_claim_leaves_the_database_free_to_write(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Choosing a language is not registered ``with_claim``: its claim is committed before
    the use case runs, so that (on SQLite) another connection may write meanwhile, as the
    outbox dispatcher does, rather than wait on the claim's write lock."""
    route = routes.BUTTONS["lang.set"]
    written: list[int] = []

    async def writing_elsewhere_first(request: Request, chosen: Any) -> Reply:
        async with request.database.transaction() as elsewhere:
            elsewhere.add(ProcessedUpdate(update_id=UPDATE_ID, processed_at=request.now))
        written.append(UPDATE_ID)
        return await route.use_case(request, chosen)

    monkeypatch.setitem(
        routes.BUTTONS, "lang.set", replace(route, use_case=writing_elsewhere_first)
    )
    lan = bot.emulator.user(7001, "Nguyễn Thị Lan")
    menu = await bot.send(lan, "/lang")
    changed = await bot.press(lan, menu, "English")
    assert changed.text == "Language set to English."
    assert written == [UPDATE_ID]


class _Failed(Exception):
    pass


async def test_a_claims_work_commits_its_statements_and_its_objects_with_the_claim_or_none(
    database: Database,
) -> None:
    """The use case's work in a held claim: a Core statement on its connection and an object
    added through the session it asks for meanwhile land in one commit with the claim; when
    the work fails, none of the three is stored."""
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    for update_id, fails in ((UPDATE_ID, True), (UPDATE_ID + 1, False)):
        admitted = await updates.admit(database, update_id, None, now, hold=any_button)
        assert admitted is not None and admitted.claim is not None
        try:
            async with admitted.claim.work() as work:
                await work.connection.execute(
                    insert(ProcessedUpdate), {"update_id": update_id + 100, "processed_at": now}
                )
                work.session().add(ProcessedUpdate(update_id=update_id + 200, processed_at=now))
                if fails:
                    raise _Failed
        except _Failed:
            pass
        await admitted.claim.release()
    async with database.transaction() as session:
        stored = set((await session.scalars(select(ProcessedUpdate.update_id))).all())
    assert stored == {UPDATE_ID + 1, UPDATE_ID + 101, UPDATE_ID + 201}
