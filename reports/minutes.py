"""The minutes (biên bản) of a meeting as a Word document, in the layout Vietnamese party cells
use: the party header in two columns, the title, numbered sections, the tables, the signatures."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import docx
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from domain.records import ItemRecord, MinutesDocument, TaskLine, VoteRecord
from reports.text import one_line, writable

FONT = "Times New Roman"
FONT_SIZE = Pt(13)
TITLE_SIZE = Pt(14)

BODY = "Minutes Body"
HEADING = "Minutes Heading"
TITLE = "Minutes Title"
CENTRED = "Minutes Centred"
CELL = "Minutes Cell"

ROMAN = ("I", "II", "III", "IV", "V", "VI")
BLANK = "…………"  # the end time, when unknown, is left to be written in by hand
SIGNATURE_SPACE = 3  # empty lines for the handwritten signature

HEADER_WIDTHS = (Cm(6.5), Cm(9.5))
ATTENDANCE_WIDTHS = (Cm(1.2), Cm(6.0), Cm(4.0), Cm(4.8))
TASK_WIDTHS = (Cm(1.2), Cm(8.0), Cm(4.3), Cm(2.5))
SIGNATURE_WIDTHS = (Cm(8.0), Cm(8.0))

Section = tuple[str, Callable[[Document, MinutesDocument], None]]


def minutes_docx(document: MinutesDocument) -> bytes:
    """The minutes as a .docx file in the usual Vietnamese layout."""
    doc = docx.Document()
    _set_up_page(doc)
    _set_up_styles(doc)
    _set_properties(doc, document)

    _write_header(doc, document)
    _write_title(doc, document)
    for number, (heading, write) in zip(ROMAN, _sections(document), strict=False):
        doc.add_paragraph(f"{number}. {heading}", style=HEADING)
        write(doc, document)
    _write_closing(doc, document)
    _write_signatures(doc, document)

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _sections(document: MinutesDocument) -> list[Section]:
    """The numbered sections; one with nothing to say is left out rather than printed empty."""
    labels = document.labels
    sections: list[Section] = [
        (labels.time_and_place, _write_time_and_place),
        (labels.attendance, _write_attendance),
    ]
    if document.items:
        sections.append((labels.content, _write_items))
    if document.resolution.strip() or document.tasks or document.vote is not None:
        sections.append((labels.resolution, _write_resolution))
    return sections


# Page, styles and properties


def _set_up_page(doc: Document) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Cm(21)
    section.page_height = Cm(29.7)
    section.top_margin = Cm(2)
    section.bottom_margin = Cm(2)
    section.left_margin = Cm(3)
    section.right_margin = Cm(2)


def _set_up_styles(doc: Document) -> None:
    normal = doc.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    _use_font(normal)
    normal.font.size = FONT_SIZE
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.15

    body = _add_style(doc, BODY)
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    body.paragraph_format.first_line_indent = Cm(1)

    heading = _add_style(doc, HEADING)
    heading.font.bold = True
    heading.paragraph_format.space_before = Pt(8)
    heading.paragraph_format.keep_with_next = True

    title = _add_style(doc, TITLE)
    title.font.bold = True
    title.font.size = TITLE_SIZE
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = Pt(18)
    title.paragraph_format.space_after = Pt(2)
    title.paragraph_format.keep_with_next = True

    centred = _add_style(doc, CENTRED)
    centred.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    centred.paragraph_format.space_after = Pt(0)

    cell = _add_style(doc, CELL)
    cell.paragraph_format.space_before = Pt(2)
    cell.paragraph_format.space_after = Pt(2)
    cell.paragraph_format.line_spacing = 1.0


def _add_style(doc: Document, name: str) -> ParagraphStyle:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    return style


def _use_font(style: ParagraphStyle) -> None:
    """Times New Roman for every script: python-docx sets only the Latin slots, and Word picks
    the east-asian slot for some characters, which would show Vietnamese in a fallback font."""
    style.font.name = FONT
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT)
    fonts.set(qn("w:cs"), FONT)


def _set_properties(doc: Document, document: MinutesDocument) -> None:
    properties = doc.core_properties
    subtitle, cell = one_line(document.subtitle), one_line(document.cell)
    properties.title = f"{document.labels.title} – {subtitle}"
    properties.subject = subtitle
    properties.author = cell
    properties.last_modified_by = cell
    properties.comments = ""
    # The template's own dates are from 2013; the meeting's time keeps the output reproducible.
    stamp = _as_utc(document.ends_at or document.starts_at)
    properties.created = stamp
    properties.modified = stamp


def _as_utc(moment: datetime) -> datetime:
    """Naive UTC, since python-docx writes the datetime's fields as UTC without converting."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


# Header and title


def _write_header(doc: Document, document: MinutesDocument) -> None:
    labels = document.labels
    table = _borderless_table(doc, 1, HEADER_WIDTHS)
    left, right = table.rows[0].cells

    _cell_line(left, document.organisation.upper(), first=True)
    _cell_line(left, document.cell.upper(), bold=True)
    _cell_line(left, "*")

    party = _cell_line(right, labels.party_header, bold=True, first=True)
    party.runs[0].underline = True
    date_line = _cell_line(right, labels.date_line, italic=True)
    date_line.paragraph_format.space_before = Pt(12)


def _write_title(doc: Document, document: MinutesDocument) -> None:
    doc.add_paragraph(document.labels.title, style=TITLE)
    subtitle = doc.add_paragraph(style=CENTRED)
    subtitle.add_run(one_line(document.subtitle)).bold = True
    subtitle.paragraph_format.space_after = Pt(12)


# Sections


def _write_time_and_place(doc: Document, document: MinutesDocument) -> None:
    labels = document.labels
    _labelled(doc, labels.time, _time_span(document))
    _labelled(doc, labels.place, document.place)
    _labelled(doc, labels.chair, document.chair)
    _labelled(doc, labels.note_taker, document.note_taker)


def _write_attendance(doc: Document, document: MinutesDocument) -> None:
    labels = document.labels
    figures = (
        f"{labels.expected}: {document.expected}; "
        f"{labels.present}: {document.present}; "
        f"{labels.excused}: {document.excused}; "
        f"{labels.unexcused}: {document.unexcused}; "
        f"{labels.rate}: {document.rate_percent}%."
    )
    doc.add_paragraph(figures, style=BODY)
    if document.quorum_note:
        doc.add_paragraph(style=BODY).add_run(document.quorum_note).bold = True
    if not document.attendees:
        return
    header = (labels.number, labels.name, labels.status, labels.reason)
    rows = [
        (str(number), attendee.name, attendee.status, attendee.reason)
        for number, attendee in enumerate(document.attendees, start=1)
    ]
    _grid_table(doc, header, rows, ATTENDANCE_WIDTHS)


def _write_items(doc: Document, document: MinutesDocument) -> None:
    for number, item in enumerate(document.items, start=1):
        _write_item(doc, document, number, item)


def _write_item(doc: Document, document: MinutesDocument, number: int, item: ItemRecord) -> None:
    labels = document.labels
    heading = doc.add_paragraph(f"{number}. {one_line(item.title)}", style=HEADING)
    heading.paragraph_format.space_before = Pt(4)
    for label, text in (
        (labels.report, item.report),
        (labels.opinions, item.opinions),
        (labels.conclusion, item.conclusion),
    ):
        if text.strip():
            _labelled(doc, label, text, italic_label=True)


def _write_resolution(doc: Document, document: MinutesDocument) -> None:
    for line in _lines(document.resolution):
        doc.add_paragraph(line, style=BODY)
    if document.tasks:
        _write_tasks(doc, document, document.tasks)
    if document.vote is not None:
        _write_vote(doc, document, document.vote)


def _write_tasks(doc: Document, document: MinutesDocument, tasks: Sequence[TaskLine]) -> None:
    labels = document.labels
    header = (labels.number, labels.tasks, labels.assignee, labels.due)
    rows = [
        (
            str(number),
            task.description,
            task.assignee,
            task.due.strftime("%d/%m/%Y") if task.due else "",
        )
        for number, task in enumerate(tasks, start=1)
    ]
    _grid_table(doc, header, rows, TASK_WIDTHS, centred_columns=(0, 3))


def _write_vote(doc: Document, document: MinutesDocument, vote: VoteRecord) -> None:
    labels = document.labels
    counts = (
        f"{labels.votes_for} {vote.votes_for}; "
        f"{labels.votes_against} {vote.against}; "
        f"{labels.votes_abstain} {vote.abstain}"
    )
    tally = doc.add_paragraph(style=BODY)
    tally.paragraph_format.space_before = Pt(6)
    tally.add_run(f"{labels.vote}: ")
    tally.add_run(counts)
    outcome = doc.add_paragraph(style=BODY)
    outcome.add_run(labels.adopted if vote.adopted else labels.not_adopted).bold = True


def _write_closing(doc: Document, document: MinutesDocument) -> None:
    end = _end_time(document)
    if end is None:
        when = BLANK
    elif end.date() == document.starts_at.date():
        when = f"{end:%H:%M}"
    else:
        when = f"{end:%H:%M %d/%m/%Y}"
    closing = doc.add_paragraph(f"{document.labels.closing} {when}.", style=BODY)
    closing.paragraph_format.space_before = Pt(8)


def _write_signatures(doc: Document, document: MinutesDocument) -> None:
    labels = document.labels
    spacer = doc.add_paragraph()
    spacer.paragraph_format.keep_with_next = True
    table = _borderless_table(doc, 1, SIGNATURE_WIDTHS)
    left, right = table.rows[0].cells
    for cell, role, name in (
        (left, labels.note_taker, document.note_taker),
        (right, labels.chair, document.chair),
    ):
        _cell_line(cell, role.upper(), bold=True, first=True)
        _cell_line(cell, labels.signature_hint, italic=True)
        for _ in range(SIGNATURE_SPACE):
            _cell_line(cell, "")
        _cell_line(cell, name, bold=True)


# Building blocks


def _labelled(doc: Document, label: str, text: str, *, italic_label: bool = False) -> None:
    """``label: text``; a text of several lines continues in paragraphs of its own."""
    first, *rest = _lines(text) or [""]
    paragraph = doc.add_paragraph(style=BODY)
    paragraph.add_run(f"{label}: ").italic = italic_label or None
    paragraph.add_run(first)
    for line in rest:
        doc.add_paragraph(line, style=BODY)


def _lines(text: str) -> list[str]:
    """The text's lines, each one paragraph's worth: a break or tab inside a run would change
    the layout the template gives it."""
    return [line for line in map(one_line, writable(text).splitlines()) if line]


def _time_span(document: MinutesDocument) -> str:
    start = document.starts_at
    end = _end_time(document)
    span = f"{start:%d/%m/%Y %H:%M}"
    if end is None:
        return span
    if end.date() == start.date():
        return f"{span} – {end:%H:%M}"
    return f"{span} – {end:%d/%m/%Y %H:%M}"


def _end_time(document: MinutesDocument) -> datetime | None:
    """The end in the start's time zone, so both read on the same clock."""
    end, start = document.ends_at, document.starts_at
    if end is None or end.tzinfo is None or start.tzinfo is None:
        return end
    return end.astimezone(start.tzinfo)


def _borderless_table(doc: Document, rows: int, widths: Sequence[Length]) -> Table:
    # Without a table style the document default ("Normal Table") applies, which has no borders.
    table = doc.add_table(rows=rows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _set_widths(table, widths)
    return table


def _grid_table(
    doc: Document,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[Length],
    *,
    centred_columns: Sequence[int] = (0,),
) -> Table:
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _set_widths(table, widths)

    header_row = table.rows[0]
    _repeat_on_each_page(header_row)
    for cell, text in zip(header_row.cells, header, strict=True):
        _cell_line(cell, text, bold=True, first=True)

    for row, values in zip(table.rows[1:], rows, strict=True):
        for column, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            paragraph = _cell_line(cell, text, first=True)
            if column not in centred_columns:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    return table


def _set_widths(table: Table, widths: Sequence[Length]) -> None:
    # Word reads the cells' widths, LibreOffice the columns'; both are set.
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _repeat_on_each_page(row: _Row) -> None:
    """Marks the row as a header row, which Word repeats at the top of every page."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _cell_line(
    cell: _Cell,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    first: bool = False,
) -> Paragraph:
    """A centred line in a cell; ``first`` fills the empty paragraph every new cell has."""
    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    paragraph.style = CELL
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    line = one_line(text)
    if line:
        run = paragraph.add_run(line)
        run.bold = bold or None
        run.italic = italic or None
    return paragraph
