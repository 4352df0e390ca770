"""Who may do what. Every command and button asks these, with roles freshly loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.roles import Role


@dataclass(frozen=True)
class CellRole:
    cell_id: int
    organisation_id: int
    role: Role


@dataclass(frozen=True)
class Actor:
    """A person's current powers, as loaded from storage for one request."""

    person_id: int
    cell_roles: tuple[CellRole, ...] = ()
    # Organisations the person supervises as a whole, and single cells they supervise.
    supervised_organisations: frozenset[int] = field(default_factory=frozenset)
    supervised_cells: frozenset[int] = field(default_factory=frozenset)

    @property
    def managed_cells(self) -> tuple[int, ...]:
        return tuple(r.cell_id for r in self.cell_roles if r.role.manages_cell)

    @property
    def is_supervisor(self) -> bool:
        return bool(self.supervised_organisations or self.supervised_cells)

    @property
    def is_member(self) -> bool:
        return bool(self.cell_roles)

    def role_in(self, cell_id: int) -> Role | None:
        return next((r.role for r in self.cell_roles if r.cell_id == cell_id), None)


def can_manage_cell(actor: Actor, cell_id: int) -> bool:
    role = actor.role_in(cell_id)
    return role is not None and role.manages_cell


def can_create_cell(actor: Actor, organisation_id: int) -> bool:
    return organisation_id in actor.supervised_organisations


def can_supervise_cell(actor: Actor, cell_id: int, organisation_id: int) -> bool:
    return organisation_id in actor.supervised_organisations or cell_id in actor.supervised_cells


class MemberChange(StrEnum):
    SET_STATUS = "set_status"
    MAKE_DEPUTY = "make_deputy"
    REVOKE_DEPUTY = "revoke_deputy"
    REMOVE = "remove"


class ChangeRefusal(StrEnum):
    NOT_MANAGER = "not_manager"
    TARGET_IS_SECRETARY = "target_is_secretary"
    SELF = "self"
    NOT_APPLICABLE = "not_applicable"


def member_change_refusal(
    actor: Actor, cell_id: int, target_person_id: int, target_role: Role, change: MemberChange
) -> ChangeRefusal | None:
    """Why a manager may not make this change to a member, or None when allowed.

    The secretary's role only changes through a secretary link from a supervisor, and only
    the secretary sets their own status; no manager removes or demotes themselves, so a cell
    is never left without its manager by a slip of the finger.
    """
    if not can_manage_cell(actor, cell_id):
        return ChangeRefusal.NOT_MANAGER
    if target_role is Role.SECRETARY and target_person_id != actor.person_id:
        return ChangeRefusal.TARGET_IS_SECRETARY
    if change is MemberChange.SET_STATUS:
        return None
    if target_role is Role.SECRETARY:
        return ChangeRefusal.TARGET_IS_SECRETARY
    if target_person_id == actor.person_id:
        return ChangeRefusal.SELF
    if change is MemberChange.MAKE_DEPUTY and target_role is not Role.MEMBER:
        return ChangeRefusal.NOT_APPLICABLE
    if change is MemberChange.REVOKE_DEPUTY and target_role is not Role.DEPUTY:
        return ChangeRefusal.NOT_APPLICABLE
    return None


class Menu(StrEnum):
    """Groups of commands shown in a person's command menu and /help."""

    MEMBER = "member"
    MANAGER = "manager"
    SUPERVISOR = "supervisor"


def menus_for(actor: Actor | None) -> tuple[Menu, ...]:
    if actor is None:
        return (Menu.MEMBER,)
    menus = [Menu.MEMBER]
    if actor.managed_cells:
        menus.append(Menu.MANAGER)
    if actor.is_supervisor:
        menus.append(Menu.SUPERVISOR)
    return tuple(menus)
