"""/import: a cell's member list from a spreadsheet. The secretary gets a template, sends the
filled .xlsx or .csv back, sees a preview (rows read, to add, to update, each problem by row
and column) and confirms it in one transaction, or cancels; then a one-use personal link per
imported member, as a list and as a workbook to forward."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.invites import deep_link
from domain.messages import N_, Attachment, Button, Reply, Text
from domain.papers import SPREADSHEET_EXTENSIONS
from domain.roles import Role
from domain.roster import (
    HEADINGS,
    REQUIRED,
    Column,
    CurrentEntry,
    CurrentMember,
    Entry,
    HeaderProblem,
    Plan,
    RowProblem,
    RowProblemKind,
    Sheet,
    TooManyRows,
    claim_payload,
    name_key,
    plan_import,
    read_sheet,
)
from domain.roster import MAX_ROWS as MAX_MEMBER_ROWS
from reports.roster import Unreadable, UnreadableFile, links_workbook, read_table, template_workbook
from services import pending
from services.cells.common import (
    ChosenCell,
    asks_which_cell,
    cell_of_manager,
    change_role,
    record_change,
    which_cell,
)
from services.errors import Refused, refused
from services.onboarding import new_token
from services.papers.documents import IncomingDocument, checked_content
from services.people import require_person
from services.request import Request
from services.routes import button
from storage.models import Cell, ImportedMember, Membership, Person
from storage.queries.onboarding import lock_cell
from storage.queries.roster import imported_members_of_cell, unclaimed_of_cell
from storage.repositories import active_members

ASK_ROSTER = "roster.file"
SPREADSHEET_TYPES = "XLSX, CSV"
# Problems listed in the preview, so that it stays a message long; the rest are counted.
PROBLEMS_SHOWN = 30
COLUMN_TEXT = {
    Column.NAME: N_("roster.column.name"),
    Column.STATUS: N_("roster.column.status"),
    Column.ROLE: N_("roster.column.role"),
    Column.JOINED_PARTY: N_("roster.column.joined_party"),
    Column.FULL_MEMBER: N_("roster.column.full_member"),
}
PROBLEM_TEXT = {
    RowProblemKind.FORMULA: N_("roster.problem.formula"),
    RowProblemKind.MISSING: N_("roster.problem.missing"),
    RowProblemKind.UNKNOWN_WORD: N_("roster.problem.unknown_word"),
    RowProblemKind.BAD_DATE: N_("roster.problem.bad_date"),
    RowProblemKind.TOO_LONG: N_("roster.problem.too_long"),
    RowProblemKind.REPEATED: N_("roster.problem.repeated"),
    RowProblemKind.DATES_OUT_OF_ORDER: N_("roster.problem.dates_out_of_order"),
    RowProblemKind.SECOND_SECRETARY: N_("roster.problem.second_secretary"),
    RowProblemKind.SECRETARY_ROLE: N_("roster.problem.secretary_role"),
    RowProblemKind.SECRETARY_STATUS: N_("roster.problem.secretary_status"),
    RowProblemKind.SECRETARY_BY_LINK: N_("roster.problem.secretary_by_link"),
}
UNREADABLE_TEXT = {
    Unreadable.NOT_A_SPREADSHEET: N_("roster.refused.not_a_spreadsheet"),
    Unreadable.EMPTY: N_("roster.refused.empty"),
    Unreadable.TOO_MANY_ROWS: N_("roster.refused.too_many_rows"),
}


@dataclass(frozen=True)
class ImportAnswer:
    """The preview's Confirm: the rows read from the file, applied as they are then."""

    cell_id: int
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class OfCell:
    cell_id: int


@button("roster.start", ChosenCell)
async def start_import(request: Request, chosen: ChosenCell) -> Reply:
    """/import: the columns explained, the template attached, the file awaited."""
    async with request.transaction() as session:
        _, actor = await require_person(session, request.caller)
        if asks_which_cell(actor, chosen.cell_id):
            return await which_cell(request.buttons(session), session, actor, "roster.start")
        cell = await cell_of_manager(session, actor, chosen.cell_id)
        await request.ask(session, ASK_ROSTER, {"cell_id": cell.id})
        unclaimed = await unclaimed_of_cell(session, cell.id)
        buttons: tuple[tuple[Button, ...], ...] = ()
        if unclaimed:
            links = await request.buttons(session)(
                Text("roster.links_button", {"count": len(unclaimed)}),
                "roster.links",
                cell_id=cell.id,
            )
            buttons = ((links,),)
    template = template_workbook(request.render(Text("roster.template_sheet")))
    return Reply(
        Text("roster.ask", {"cell": cell.name, "max_rows": MAX_MEMBER_ROWS}),
        buttons,
        attachments=(Attachment("danh-sach-dang-vien.xlsx", template),),
    )


def _read(file_name: str, content: bytes) -> Sheet:
    return read_sheet(read_table(file_name, content).rows)


async def receive_roster(request: Request, of: OfCell, document: IncomingDocument) -> Reply:
    """The filled file: checked as every upload is, read beside the event loop, previewed."""
    async with request.transaction() as session:
        _, actor = await require_person(session, request.caller)
        await cell_of_manager(session, actor, of.cell_id)
    content = await checked_content(
        document, request.files, SPREADSHEET_EXTENSIONS, SPREADSHEET_TYPES
    )
    try:
        sheet = await asyncio.to_thread(_read, document.file_name, content)
    except UnreadableFile as error:
        raise Refused(Text(UNREADABLE_TEXT[error.why], {"max_rows": MAX_MEMBER_ROWS})) from None
    except TooManyRows:
        raise refused("roster.refused.too_many_rows", max_rows=MAX_MEMBER_ROWS) from None
    except HeaderProblem:
        expected = ", ".join(HEADINGS[c] for c in REQUIRED)
        optional = ", ".join(HEADINGS[c] for c in HEADINGS if c not in REQUIRED)
        raise refused("roster.refused.header", expected=expected, optional=optional) from None
    if sheet.rows_read == 0:
        raise refused("roster.refused.empty")
    async with request.transaction() as session:
        _, actor = await require_person(session, request.caller)
        cell = await cell_of_manager(session, actor, of.cell_id)
        plan = await _plan(session, cell.id, sheet.entries, actor.role_in(cell.id))
        problems = (*sheet.problems, *plan.problems)
        make_button = request.buttons(session)
        buttons: tuple[tuple[Button, ...], ...] = ()
        if not problems and plan.changes_anything:
            confirm = await make_button(
                Text("roster.confirm"),
                "roster.confirm",
                cell_id=cell.id,
                entries=[_stored(entry) for entry in sheet.entries],
            )
            cancel = await make_button(Text("roster.cancel"), "roster.cancel", cell_id=cell.id)
            buttons = ((confirm, cancel),)
        return Reply(_preview(cell, sheet, plan, problems), buttons)


def _stored(entry: Entry) -> dict[str, object]:
    stored = asdict(entry)
    for day in ("joined_party_on", "full_member_on"):
        if stored[day] is not None:
            stored[day] = stored[day].isoformat()
    return stored


async def _plan(
    session: AsyncSession, cell_id: int, entries: Sequence[Entry], importer: Role | None
) -> Plan:
    members = [
        CurrentMember(m.id, m.person.full_name, m.role, m.status)
        for m in await active_members(session, cell_id)
    ]
    earlier = {
        row.name_key: CurrentEntry(
            row.full_name,
            row.role,
            row.status,
            row.joined_party_on,
            row.full_member_on,
            row.person_id is not None,
        )
        for row in await imported_members_of_cell(session, cell_id)
    }
    return plan_import(entries, members, earlier, by_secretary=importer is Role.SECRETARY)


def _preview(cell: Cell, sheet: Sheet, plan: Plan, problems: Sequence[RowProblem]) -> Text:
    shown = sorted(problems, key=lambda p: p.row)[:PROBLEMS_SHOWN]
    if problems:
        verdict = Text("roster.preview.fix_first", {"count": len(problems)})
    elif plan.changes_anything:
        verdict = Text("roster.preview.confirm")
    else:
        verdict = Text("roster.preview.nothing")
    details = [
        *([Text("roster.preview.added", {"names": _names(plan.to_add)})] if plan.to_add else []),
        *(
            [Text("roster.preview.updated", {"names": _names(plan.to_update)})]
            if plan.to_update
            else []
        ),
        *[problem_text(p) for p in shown],
        *(
            [Text("roster.preview.more", {"count": len(problems) - len(shown)})]
            if len(problems) > len(shown)
            else []
        ),
        *(
            [
                Text(
                    "roster.preview.not_in_file",
                    {"count": len(plan.not_in_file), "names": ", ".join(plan.not_in_file)},
                )
            ]
            if plan.not_in_file
            else []
        ),
    ]
    return Text(
        "roster.preview",
        {
            "cell": cell.name,
            "read": sheet.rows_read,
            "add": len(plan.to_add),
            "update": len(plan.to_update),
            "unchanged": plan.unchanged,
            "with_problems": len({p.row for p in problems}),
            "details": details,
            "verdict": verdict,
        },
    )


def _names(entries: Sequence[Entry]) -> str:
    return ", ".join(entry.full_name for entry in entries)


def problem_text(problem: RowProblem) -> Text:
    """One problem in words: its row, its column, what is wrong, the nearest right word."""
    what = Text(
        PROBLEM_TEXT[problem.kind],
        {
            "column": Text(COLUMN_TEXT[problem.column]),
            "value": problem.value,
            "other_row": problem.other_row or 0,
        },
    )
    suggestion = (
        Text("roster.problem.suggestion", {"word": problem.suggestion})
        if problem.suggestion
        else ""
    )
    return Text("roster.problem", {"row": problem.row, "what": what, "suggestion": suggestion})


@button("roster.cancel", OfCell)
async def cancel_import(request: Request, of: OfCell) -> Reply:
    async with request.transaction() as session:
        await pending.forget(session, caller=request.caller)
    return Reply(Text("roster.cancelled"))


@button("roster.confirm", ImportAnswer)
async def confirm_import(request: Request, answer: ImportAnswer) -> Reply:
    """All or nothing, against the cell as it is now: a second import of the same file (or a
    second press) finds nothing to change; no member is ever removed."""
    async with request.transaction() as session:
        secretary, actor = await require_person(session, request.caller)
        cell = await cell_of_manager(session, actor, answer.cell_id)
        await lock_cell(session, cell.id)
        plan = await _plan(session, cell.id, answer.entries, actor.role_in(cell.id))
        if plan.problems:
            raise Refused(
                Text("roster.refused.changed", {"problem": problem_text(plan.problems[0])})
            )
        if not plan.changes_anything:
            # Pressed twice, or the same file confirmed from two previews.
            return Reply(Text("roster.preview.nothing"))
        await _apply(request, session, cell, plan, secretary)
        # Documents sent from now on are papers again, until the next /import.
        await pending.forget(session, caller=request.caller)
    done = Text(
        "roster.done",
        {"cell": cell.name, "added": len(plan.to_add), "updated": len(plan.to_update)},
    )
    return await _with_links(request, cell.id, done)


async def _apply(
    request: Request, session: AsyncSession, cell: Cell, plan: Plan, by: Person
) -> None:
    now = request.now
    member_of = {name_key(m.person.full_name): m for m in await active_members(session, cell.id)}
    stored = {row.name_key: row for row in await imported_members_of_cell(session, cell.id)}
    for entry in (*plan.to_add, *plan.to_update):
        member = member_of.get(entry.key)
        if member is not None:
            _update_membership(session, member, entry, by, request)
        row = stored.get(entry.key)
        if row is None:
            row = ImportedMember(
                cell_id=cell.id,
                name_key=entry.key,
                claim_token=None if member is not None else new_token(),
                person_id=member.person_id if member is not None else None,
                claimed_at=now if member is not None else None,
                imported_at=now,
            )
            session.add(row)
        elif member is not None and row.person_id is None:
            # The member joined by the invite link, past the names offered: the row is theirs.
            row.person_id, row.claimed_at, row.claim_token = member.person_id, now, None
        row.full_name = entry.full_name
        row.role = entry.role
        row.status = entry.status
        row.joined_party_on = entry.joined_party_on
        row.full_member_on = entry.full_member_on
        row.imported_by_person_id = by.id
    await session.flush()


def _update_membership(
    session: AsyncSession, member: Membership, entry: Entry, by: Person, request: Request
) -> None:
    if member.role is not entry.role:
        change_role(session, member, entry.role, by, request.now)
    if member.status is not entry.status:
        record_change(
            session, member, "status", member.status.value, entry.status.value, by, request.now
        )
        member.status = entry.status


@button("roster.links", OfCell)
async def personal_links(request: Request, of: OfCell) -> Reply:
    async with request.transaction() as session:
        _, actor = await require_person(session, request.caller)
        cell = await cell_of_manager(session, actor, of.cell_id)
    return await _with_links(request, cell.id, Text("roster.links_intro", {"cell": cell.name}))


async def _with_links(request: Request, cell_id: int, heading: Text) -> Reply:
    """``heading``, then each unclaimed imported member's personal link, as lines and as a
    workbook to forward."""
    async with request.transaction() as session:
        unclaimed = await unclaimed_of_cell(session, cell_id)
    rows = [
        (row.full_name, deep_link(request.bot_username, claim_payload(row.claim_token)))
        for row in unclaimed
        if row.claim_token is not None
    ]
    lines = [Text("roster.link_line", {"name": name, "link": link}) for name, link in rows]
    text = Text("roster.with_links", {"heading": heading, "lines": lines, "count": len(rows)})
    if not rows:
        return Reply(text)
    headings = [
        request.render(Text("roster.links_heading.name")),
        request.render(Text("roster.link")),
    ]
    workbook = links_workbook(headings, rows)
    return Reply(text, attachments=(Attachment("lien-ket-ca-nhan.xlsx", workbook),))
