"""Resolutions: the vote rule and the follow-up of their tasks."""

from __future__ import annotations

from dataclasses import dataclass
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
