"""A document sent in private chat: a meeting material or a member list when the secretary
was asked for one, else a paper."""

from __future__ import annotations

from domain.messages import Reply
from services import pending
from services.cells.roster import ASK_ROSTER, OfCell, receive_roster
from services.papers.documents import IncomingDocument
from services.papers.following import OfMeeting
from services.papers.materials import ASK_MATERIALS, add_material
from services.papers.submitting import receive_paper
from services.request import Request


async def receive_document(request: Request, document: IncomingDocument) -> Reply:
    """A document is a meeting material or a member list when the secretary was asked for
    one, else a paper."""
    async with request.transaction() as session:
        question = await pending.current(session, caller=request.caller, now=request.now)
    if question is not None and question.kind == ASK_MATERIALS:
        about = OfMeeting(int(question.payload["meeting_id"]))
        return await add_material(request, about, document)
    if question is not None and question.kind == ASK_ROSTER:
        return await receive_roster(request, OfCell(int(question.payload["cell_id"])), document)
    return await receive_paper(request, document)
