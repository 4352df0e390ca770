"""Roles, member statuses and invite purposes, as stored and as reasoned about."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SECRETARY = "secretary"
    DEPUTY = "deputy"
    MEMBER = "member"

    @property
    def manages_cell(self) -> bool:
        # DOMAIN.md: a deputy has the same rights as the secretary.
        return self in (Role.SECRETARY, Role.DEPUTY)


class MemberStatus(StrEnum):
    FULL = "full"
    PROBATIONARY = "probationary"
    EXEMPTED = "exempted"


class InvitePurpose(StrEnum):
    ORG_SETUP = "org_setup"
    CELL_SECRETARY = "cell_secretary"
    CELL_MEMBER = "cell_member"
    # A member of the upper committee's working group (tổ công tác) who follows one cell.
    CELL_OBSERVER = "cell_observer"


class Language(StrEnum):
    VI = "vi"
    EN = "en"
