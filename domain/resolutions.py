"""Resolutions: the vote rule and the follow-up of their tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ResolutionStatus(StrEnum):
    DRAFT = "draft"
    COMMENTING = "commenting"  # a thematic draft sent to members for comments
    ADOPTED = "adopted"
    REJECTED = "rejected"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class VoteProblem(StrEnum):
    MALFORMED = "malformed"
    TOO_MANY = "too_many"
    NO_QUORUM = "no_quorum"


@dataclass(frozen=True)
class Vote:
    votes_for: int
    against: int
    abstain: int

    @property
    def total(self) -> int:
        return self.votes_for + self.against + self.abstain


def parse_vote(text: str) -> Vote | None:
    """`12 0 1`, `12/0/1` or `12-0-1`: for, against, abstain."""
    parts = text.replace("/", " ").replace("-", " ").replace(",", " ").split()
    if len(parts) != 3 or not all(part.isdigit() and len(part) <= 4 for part in parts):
        return None
    return Vote(int(parts[0]), int(parts[1]), int(parts[2]))


def vote_problem(vote: Vote, full_members_present: int, quorum_met: bool) -> VoteProblem | None:
    """A meeting without quorum adopts nothing, so takes no vote; only full members present
    vote (probationary members attend but don't vote)."""
    if not quorum_met:
        return VoteProblem.NO_QUORUM
    if vote.total > full_members_present:
        return VoteProblem.TOO_MANY
    return None


def adopted(vote: Vote, full_members: int) -> bool:
    """A resolution passes with more than half of the cell's full members voting for it."""
    return vote.votes_for * 2 > full_members


# A vote recorded this long after the planned end was typed in afterwards, not taken then.
VOTE_TAKEN_AT_THE_MEETING_WITHIN = timedelta(hours=2)


def approval_moment(
    decided_at: datetime | None, starts_at: datetime, ends_at: datetime
) -> datetime | None:
    """When the minutes were approved before the cell, as far as the bot knows: the moment of
    a vote taken during the meeting. A vote typed in days later, or the moment the secretary
    finished the record, says nothing of it, and the minutes leave it to be written by hand."""
    if decided_at is None:
        return None
    if starts_at <= decided_at <= ends_at + VOTE_TAKEN_AT_THE_MEETING_WITHIN:
        return decided_at
    return None
