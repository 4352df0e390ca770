"""A button press's claim of its update, held for its use case's first transaction
(services/updates.py: HeldClaim), as two deliveries of the same press meet it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from services import updates
from storage.db import Database

UPDATE_ID = 4_200_001


async def test_a_claim_rolled_back_while_another_delivery_took_the_update_is_not_taken_twice(
    database: Database,
) -> None:
    """The first delivery's work fails: its claim goes with it, and the second delivery of
    the press (another replica) takes the update. The first, claiming it again to apologise,
    finds it taken: it stays silent, and the update counts as recorded (acknowledged)."""
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    first = await updates.admit(database, UPDATE_ID, None, now, button_token="x", hold=True)
    assert first is not None and first.claim is not None
    # The second delivery's claim waits on the first's, not yet committed.
    second_admission = asyncio.create_task(
        updates.admit(database, UPDATE_ID, None, now, button_token="x", hold=True)
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
    assert await updates.admit(database, UPDATE_ID, None, now, button_token="x") is None


async def test_a_claim_never_settled_is_rolled_back_and_the_update_comes_again(
    database: Database,
) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    held = await updates.admit(database, UPDATE_ID, None, now, button_token="x", hold=True)
    assert held is not None and held.claim is not None
    await held.claim.release()
    assert not held.claim.recorded
    again = await updates.admit(database, UPDATE_ID, None, now, button_token="x")
    assert again is not None, "the update was not taken as handled"
