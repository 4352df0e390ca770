"""The default Word template of the minutes, in the layout Vietnamese party cells use: the
party header in two columns, the document number and the place and date, the title, numbered
sections, the tables, the closing, the signatures, page numbers in the footer.

The template is a .docx with Jinja tags that ``reports.minutes`` fills (docxtpl); an
organisation may keep its own house template instead (``CHIBO_MINUTES_TEMPLATE``) using the
same names. The shipped copy, ``reports/templates/minutes.docx``, is written by
``python -m reports.minutes_template`` and a test keeps it equal to what this module builds.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

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

DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "minutes.docx"

FONT = "Times New Roman"
FONT_SIZE = Pt(13)
TITLE_SIZE = Pt(14)
LANGUAGE = "vi-VN"

BODY = "Minutes Body"
HEADING = "Minutes Heading"
TITLE = "Minutes Title"
CENTRED = "Minutes Centred"
CELL = "Minutes Cell"

SIGNATURE_SPACE = 3  # empty lines for the handwritten signature

HEADER_WIDTHS = (Cm(6.5), Cm(9.5))
# The number column holds "STT" on one line: 13 pt bold needs 1.0 cm plus the cell's margins.
ATTENDANCE_WIDTHS = (Cm(1.5), Cm(5.9), Cm(4.0), Cm(4.6))
TASK_WIDTHS = (Cm(1.5), Cm(7.9), Cm(4.1), Cm(2.5))
SIGNATURE_WIDTHS = (Cm(8.0), Cm(8.0))

# A fixed moment for the template's own properties, so that building it twice gives one file.
BUILT = datetime(2026, 1, 1)


def build() -> bytes:
    """The default template as .docx bytes."""
    doc = docx.Document()
    _set_up_page(doc)
    _set_up_styles(doc)
    _set_properties(doc)
    _write_footer(doc)

    _write_header(doc)
    _write_title(doc)
    _write_time_and_place(doc)
    _write_attendance(doc)
    _write_items(doc)
    _write_resolution(doc)
    _write_closing(doc)
    _write_signatures(doc)
    _preserve_spaces(doc)

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


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
    _tag_language(doc)
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


def _tag_language(doc: Document) -> None:
    """Vietnamese for every run (the document defaults and Normal), so Word checks the
    spelling and hyphenates as Vietnamese rather than as the reader's own language."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    assert defaults is not None, "python-docx's template has document defaults"
    run_defaults = defaults.find(qn("w:rPrDefault"))
    if run_defaults is None:
        run_defaults = OxmlElement("w:rPrDefault")
        defaults.insert(0, run_defaults)
    run_properties = run_defaults.find(qn("w:rPr"))
    if run_properties is None:
        run_properties = OxmlElement("w:rPr")
        run_defaults.append(run_properties)
    normal = doc.styles["Normal"].element.get_or_add_rPr()
    for properties in (run_properties, normal):
        for old in properties.findall(qn("w:lang")):
            properties.remove(old)
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), LANGUAGE)
        lang.set(qn("w:eastAsia"), LANGUAGE)
        properties.append(lang)
    theme_language = doc.settings.element.find(qn("w:themeFontLang"))
    if theme_language is not None:
        theme_language.set(qn("w:val"), LANGUAGE)
    doc.core_properties.language = LANGUAGE


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


def _set_properties(doc: Document) -> None:
    # The renderer writes the meeting's own title, author and dates over these.
    properties = doc.core_properties
    properties.title = ""
    properties.subject = ""
    properties.author = ""
    properties.last_modified_by = ""
    properties.comments = ""
    properties.keywords = ""
    properties.revision = 1
    properties.created = BUILT
    properties.modified = BUILT


def _write_footer(doc: Document) -> None:
    """The page number, centred at the foot of every page, as a field Word keeps up to date."""
    footer = doc.sections[0].footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1")):
        run = paragraph.add_run()
        if kind is not None:
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            run._r.append(mark)
        elif text == " PAGE ":
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
        else:
            run.text = text or ""
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


# Header and title


def _write_header(doc: Document) -> None:
    table = _borderless_table(doc, HEADER_WIDTHS)
    left, right = table.rows[0].cells
    _cell_line(left, "{{ organisation }}", first=True)
    _cell_line(left, "{{ cell }}", bold=True)
    _cell_line(left, "*")
    _cell_line(left, "{{ labels.number_line }}")

    party = _cell_line(right, "{{ labels.party_header }}", bold=True, first=True)
    party.runs[0].underline = True
    date_line = _cell_line(right, "{{ labels.date_line }}", italic=True)
    date_line.paragraph_format.space_before = Pt(12)


def _write_title(doc: Document) -> None:
    doc.add_paragraph("{{ labels.title }}", style=TITLE)
    subtitle = doc.add_paragraph(style=CENTRED)
    subtitle.add_run("{{ subtitle }}").bold = True
    subtitle.paragraph_format.space_after = Pt(12)


# Sections: each heading carries its number, given only to the sections there are.


def _write_time_and_place(doc: Document) -> None:
    doc.add_paragraph("{{ headings.time_and_place }}", style=HEADING)
    _loop(doc, "line in time_and_place", _labelled_line)


def _write_attendance(doc: Document) -> None:
    doc.add_paragraph("{{ headings.attendance }}", style=HEADING)
    doc.add_paragraph("{{ attendance_figures }}", style=BODY)
    doc.add_paragraph("{%p if quorum_note %}")
    doc.add_paragraph(style=BODY).add_run("{{ quorum_note }}").bold = True
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if attendees %}")
    _loop_table(
        doc,
        ("{{ labels.number }}", "{{ labels.name }}", "{{ labels.status }}", "{{ labels.reason }}"),
        "row in attendees",
        ("{{ row.number }}", "{{ row.name }}", "{{ row.status }}", "{{ row.reason }}"),
        ATTENDANCE_WIDTHS,
        centred_columns=(0,),
    )
    doc.add_paragraph("{%p endif %}")


def _write_items(doc: Document) -> None:
    doc.add_paragraph("{%p if headings.content %}")
    doc.add_paragraph("{{ headings.content }}", style=HEADING)
    doc.add_paragraph("{%p for item in items %}")
    heading = doc.add_paragraph("{{ item.heading }}", style=HEADING)
    heading.paragraph_format.space_before = Pt(4)
    _loop(doc, "line in item.lines", _labelled_line)
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endif %}")


def _write_resolution(doc: Document) -> None:
    doc.add_paragraph("{%p if headings.resolution %}")
    doc.add_paragraph("{{ headings.resolution }}", style=HEADING)
    _loop(doc, "line in resolution", lambda d: d.add_paragraph("{{ line }}", style=BODY))
    doc.add_paragraph("{%p if tasks %}")
    _loop_table(
        doc,
        ("{{ labels.number }}", "{{ labels.tasks }}", "{{ labels.assignee }}", "{{ labels.due }}"),
        "row in tasks",
        ("{{ row.number }}", "{{ row.description }}", "{{ row.assignee }}", "{{ row.due }}"),
        TASK_WIDTHS,
        centred_columns=(0, 3),
    )
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if vote %}")
    tally = doc.add_paragraph("{{ vote.tally }}", style=BODY)
    tally.paragraph_format.space_before = Pt(6)
    doc.add_paragraph(style=BODY).add_run("{{ vote.outcome }}").bold = True
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endif %}")


def _write_closing(doc: Document) -> None:
    closing = doc.add_paragraph("{{ closing }}", style=BODY)
    closing.paragraph_format.space_before = Pt(8)
    doc.add_paragraph("{{ labels.approval }}", style=BODY)


def _write_signatures(doc: Document) -> None:
    spacer = doc.add_paragraph()
    spacer.paragraph_format.keep_with_next = True
    table = _borderless_table(doc, SIGNATURE_WIDTHS)
    left, right = table.rows[0].cells
    for cell, role in ((left, "note_taker"), (right, "chair")):
        _cell_line(cell, f"{{{{ signatures.{role}.role }}}}", bold=True, first=True)
        _cell_line(cell, "{{ labels.signature_hint }}", italic=True)
        for _ in range(SIGNATURE_SPACE):
            _cell_line(cell, "")
        _cell_line(cell, f"{{{{ signatures.{role}.name }}}}", bold=True)


# Building blocks


def _labelled_line(doc: Document) -> Paragraph:
    """``label: text``, the label in italics when the line asks for it; a speaker in bold."""
    paragraph = doc.add_paragraph(style=BODY)
    paragraph.add_run("{{ line.label }}")
    paragraph.add_run("{{ line.italic_label }}").italic = True
    paragraph.add_run("{{ line.speaker }}").bold = True
    paragraph.add_run("{{ line.text }}")
    return paragraph


def _loop(doc: Document, loop: str, write: Callable[[Document], Paragraph]) -> None:
    doc.add_paragraph(f"{{%p for {loop} %}}")
    write(doc)
    doc.add_paragraph("{%p endfor %}")


def _borderless_table(doc: Document, widths: Sequence[Length]) -> Table:
    # Without a table style the document default ("Normal Table") applies, which has no borders.
    table = doc.add_table(rows=1, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _set_widths(table, widths)
    return table


def _loop_table(
    doc: Document,
    header: Sequence[str],
    loop: str,
    row: Sequence[str],
    widths: Sequence[Length],
    *,
    centred_columns: Sequence[int],
) -> Table:
    """A grid: the header row (repeated on every page), then one row for each of ``loop``."""
    table = doc.add_table(rows=4, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _set_widths(table, widths)
    header_row, opening, body, closing = table.rows

    _repeat_on_each_page(header_row)
    for cell, text in zip(header_row.cells, header, strict=True):
        _cell_line(cell, text, bold=True, first=True)
    _cell_line(opening.cells[0], f"{{%tr for {loop} %}}", first=True)
    for column, (cell, text) in enumerate(zip(body.cells, row, strict=True)):
        paragraph = _cell_line(cell, text, first=True)
        if column not in centred_columns:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _cell_line(closing.cells[0], "{%tr endfor %}", first=True)
    for number_cell in (header_row.cells[0], body.cells[0]):
        _no_wrap(number_cell)
    return table


def _set_widths(table: Table, widths: Sequence[Length]) -> None:
    # Word reads the cells' widths, LibreOffice the columns'; both are set, and the layout is
    # fixed (no autofit) so that neither program widens a column to its longest text.
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _no_wrap(cell: _Cell) -> None:
    cell._tc.get_or_add_tcPr().append(OxmlElement("w:noWrap"))


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
    if text:
        run = paragraph.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
    return paragraph


def _preserve_spaces(doc: Document) -> None:
    """Every text keeps its spaces: a tag's value may start or end with one ("Chủ trì: ")."""
    for text in doc.element.body.iter(qn("w:t")):
        text.set(qn("xml:space"), "preserve")


def main(argv: Sequence[str] = ()) -> None:
    target = Path(argv[0]) if argv else DEFAULT_TEMPLATE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(build())


if __name__ == "__main__":
    main(sys.argv[1:])
