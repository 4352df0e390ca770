"""Pure rules: invites, permissions, names, retry policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.delivery import gives_up, retry_delay
from domain.invites import (
    InviteProblem,
    InviteState,
    invite_max_uses,
    invite_problem,
    meeting_of_rsvp_payload,
    rsvp_payload,
)
from domain.names import clean_name
from domain.organisations import valid_cutoff_day
from domain.permissions import (
    Actor,
    CellRole,
    ChangeRefusal,
    MemberChange,
    Menu,
    can_create_cell,
    can_manage_cell,
    member_change_refusal,
    menus_for,
)
from domain.resolutions import approval_moment
from domain.roles import InvitePurpose, Role

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def invite(**changes: object) -> InviteState:
    values: dict[str, object] = {
        "purpose": InvitePurpose.CELL_MEMBER,
        "expires_at": NOW + timedelta(days=1),
        "max_uses": None,
        "use_count": 0,
        "revoked_at": None,
    }
    values.update(changes)
    return InviteState(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        (None, InviteProblem.UNKNOWN),
        (invite(), None),
        (invite(expires_at=NOW), InviteProblem.EXPIRED),
        (invite(max_uses=1, use_count=1), InviteProblem.USED_UP),
        (invite(revoked_at=NOW - timedelta(hours=1)), InviteProblem.REVOKED),
        # Revoked wins over expired: the secretary's deliberate act is the better explanation.
        (invite(revoked_at=NOW, expires_at=NOW - timedelta(days=1)), InviteProblem.REVOKED),
    ],
)
def test_invite_problem(state: InviteState | None, problem: InviteProblem | None) -> None:
    assert invite_problem(state, NOW) == problem


def test_only_member_links_are_multi_use() -> None:
    assert invite_max_uses(InvitePurpose.CELL_MEMBER) is None
    assert invite_max_uses(InvitePurpose.CELL_SECRETARY) == 1
    assert invite_max_uses(InvitePurpose.ORG_SETUP) == 1


SECRETARY_OF_1 = Actor(1, (CellRole(1, 10, Role.SECRETARY), CellRole(2, 10, Role.MEMBER)))


def test_managers_manage_only_their_cells() -> None:
    assert can_manage_cell(SECRETARY_OF_1, 1)
    assert not can_manage_cell(SECRETARY_OF_1, 2)
    assert not can_manage_cell(SECRETARY_OF_1, 3)
    deputy = Actor(5, (CellRole(3, 10, Role.DEPUTY),))
    assert can_manage_cell(deputy, 3)


def test_only_whole_organisation_supervisors_create_cells() -> None:
    assert not can_create_cell(SECRETARY_OF_1, 10)
    assert can_create_cell(Actor(7, supervised_organisations=frozenset({10})), 10)
    assert not can_create_cell(Actor(7, supervised_cells=frozenset({1})), 10)


@pytest.mark.parametrize(
    ("target", "role", "change", "refusal"),
    [
        (2, Role.MEMBER, MemberChange.SET_STATUS, None),
        (1, Role.SECRETARY, MemberChange.SET_STATUS, None),
        (2, Role.MEMBER, MemberChange.MAKE_DEPUTY, None),
        (2, Role.DEPUTY, MemberChange.MAKE_DEPUTY, ChangeRefusal.NOT_APPLICABLE),
        (2, Role.MEMBER, MemberChange.REVOKE_DEPUTY, ChangeRefusal.NOT_APPLICABLE),
        (2, Role.DEPUTY, MemberChange.REMOVE, None),
        (3, Role.SECRETARY, MemberChange.REMOVE, ChangeRefusal.TARGET_IS_SECRETARY),
        # Only the secretary sets the secretary's status.
        (3, Role.SECRETARY, MemberChange.SET_STATUS, ChangeRefusal.TARGET_IS_SECRETARY),
        (1, Role.SECRETARY, MemberChange.REMOVE, ChangeRefusal.TARGET_IS_SECRETARY),
    ],
)
def test_member_changes(
    target: int, role: Role, change: MemberChange, refusal: ChangeRefusal | None
) -> None:
    assert member_change_refusal(SECRETARY_OF_1, 1, target, role, change) == refusal


def test_deputy_cannot_remove_themselves_and_outsiders_change_nothing() -> None:
    deputy = Actor(5, (CellRole(1, 10, Role.DEPUTY),))
    assert member_change_refusal(deputy, 1, 5, Role.DEPUTY, MemberChange.REMOVE) == (
        ChangeRefusal.SELF
    )
    outsider = Actor(9, (CellRole(2, 10, Role.SECRETARY),))
    assert member_change_refusal(outsider, 1, 2, Role.MEMBER, MemberChange.SET_STATUS) == (
        ChangeRefusal.NOT_MANAGER
    )


def test_menus_follow_roles() -> None:
    assert menus_for(None) == (Menu.MEMBER,)
    assert menus_for(SECRETARY_OF_1) == (Menu.MEMBER, Menu.MANAGER)
    both = Actor(1, (CellRole(1, 10, Role.DEPUTY),), supervised_cells=frozenset({4}))
    assert menus_for(both) == (Menu.MEMBER, Menu.MANAGER, Menu.SUPERVISOR)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("  Nguyễn   Văn  An ", "Nguyễn Văn An"),
        # Decomposed input (as some keyboards send it) is stored composed.
        ("Nguye\u0302\u0303n Thi\u0323 Bi\u0300nh", "Nguyễn Thị Bình"),
        ("", None),
        ("   ", None),
        ("12345", None),
        ("/start", None),
        ("a" * 121, None),
        # Invisible characters go, as from any typed text; the name stays.
        ("Lê\x00 Văn\u202e", "Lê Văn"),
    ],
)
def test_clean_name(typed: str, name: str | None) -> None:
    assert clean_name(typed) == name


def test_cutoff_day_exists_in_every_month() -> None:
    assert valid_cutoff_day(10) and valid_cutoff_day(28)
    assert not valid_cutoff_day(29) and not valid_cutoff_day(0)


def test_retry_backoff_grows_and_stops() -> None:
    assert retry_delay(1) == timedelta(seconds=5)
    assert retry_delay(3) == timedelta(seconds=20)
    assert retry_delay(30) == timedelta(minutes=30)
    assert not gives_up(9) and gives_up(10)


def test_an_rsvp_link_names_a_meeting_the_database_can_hold() -> None:
    assert meeting_of_rsvp_payload(rsvp_payload(42)) == 42
    assert meeting_of_rsvp_payload("rsvp-999999999") == 999_999_999
    for payload in ("rsvp-9999999999", "rsvp-", "rsvp-٣", "rsvp-12x", "xrsvp-1", "rsvp-1\x00"):
        assert meeting_of_rsvp_payload(payload) is None, payload


def test_the_minutes_are_approved_at_a_vote_taken_at_the_meeting_only() -> None:
    starts = datetime(2026, 12, 5, 19, 30, tzinfo=UTC)
    ends = starts + timedelta(hours=2)
    at_the_meeting = starts + timedelta(hours=1, minutes=40)
    assert approval_moment(at_the_meeting, starts, ends) == at_the_meeting
    assert approval_moment(ends + timedelta(minutes=45), starts, ends) is not None
    typed_days_later = datetime(2026, 12, 8, 15, 10, tzinfo=UTC)
    assert approval_moment(typed_days_later, starts, ends) is None
    assert approval_moment(starts - timedelta(days=1), starts, ends) is None
    assert approval_moment(None, starts, ends) is None
