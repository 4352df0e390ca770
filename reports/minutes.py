"""The minutes (biên bản) of a meeting as a Word document: the meeting's record poured into a
Word template (docxtpl), the default one shipped with the package (``reports.minutes_template``
builds it) or an organisation's own house template using the same names."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from domain.records import ItemRecord, MinutesDocument
from reports.minutes_template import DEFAULT_TEMPLATE
from reports.text import one_line, writable

ROMAN = ("I", "II", "III", "IV", "V", "VI")
BLANK = "…………"  # the end time, when unknown, is left to be written in by hand


class TemplateProblem(ValueError):
    """A house template that cannot lay out minutes: not a Word file, or tags Jinja refuses."""


def minutes_docx(document: MinutesDocument, template: Path | None = None) -> bytes:
    """The minutes as a .docx file, laid out by ``template`` (the default one if None)."""
    word = DocxTemplate(template or DEFAULT_TEMPLATE)
    try:
        # Autoescape keeps every value text: a topic like "<w:p>" or "{{ secret }}" is written
        # as typed, never read as the document's XML or the template's tags. The sandbox keeps
        # a house template from reaching past the values it is given.
        word.render(_literal(_context(document)), jinja_env=SandboxedEnvironment(autoescape=True))
    except (TemplateError, BadZipFile, PackageNotFoundError, KeyError) as error:
        raise TemplateProblem(one_line(str(error))[:200]) from error
    _set_properties(word, document)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _context(document: MinutesDocument) -> dict[str, Any]:
    labels = document.labels
    return {
        "labels": {name: one_line(value) for name, value in vars(labels).items()},
        "organisation": one_line(document.organisation).upper(),
        "cell": one_line(document.cell).upper(),
        "subtitle": one_line(document.subtitle),
        "headings": _headings(document),
        "time_and_place": [
            *_labelled(labels.time, _time_span(document)),
            *_labelled(labels.place, document.place),
            *_labelled(labels.chair, document.chair),
            *_labelled(labels.note_taker, document.note_taker),
        ],
        "attendance_figures": (
            f"{labels.expected}: {document.expected}; "
            f"{labels.present}: {document.present}; "
            f"{labels.excused}: {document.excused}; "
            f"{labels.unexcused}: {document.unexcused}; "
            f"{labels.rate}: {document.rate_percent}%."
        ),
        "quorum_note": one_line(document.quorum_note),
        "attendees": [
            {
                "number": str(number),
                "name": one_line(attendee.name),
                "status": one_line(attendee.status),
                "reason": one_line(attendee.reason),
            }
            for number, attendee in enumerate(document.attendees, start=1)
        ],
        "items": [
            {"heading": f"{number}. {one_line(item.title)}", "lines": _item_lines(document, item)}
            for number, item in enumerate(document.items, start=1)
        ],
        "resolution": _lines(document.resolution),
        "tasks": [
            {
                "number": str(number),
                "description": one_line(task.description),
                "assignee": one_line(task.assignee),
                "due": task.due.strftime("%d/%m/%Y") if task.due else "",
            }
            for number, task in enumerate(document.tasks, start=1)
        ],
        "vote": _vote(document),
        "closing": f"{labels.closing} {_closing_time(document)}.",
        "signatures": {
            "note_taker": {
                "role": one_line(labels.note_taker).upper(),
                "name": one_line(document.note_taker),
            },
            "chair": {"role": one_line(labels.chair).upper(), "name": one_line(document.chair)},
        },
    }


def _literal(value: Any) -> Any:
    """Every text escaped for XML, and kept from docxtpl's one pass after rendering, which
    turns "{_{" into "{{" (its way for a template to print a tag): the underscore is written as
    a character reference, which the XML reads as "_" once that pass is over."""
    if isinstance(value, str):
        return escape(value).replace("{_", Markup("{&#95;")).replace("_}", Markup("&#95;}"))
    if isinstance(value, dict):
        return {key: _literal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_literal(item) for item in value]
    return value


def _headings(document: MinutesDocument) -> dict[str, str]:
    """The numbered sections' headings; one with nothing to say is left out rather than printed
    empty, and those after it keep consecutive numbers."""
    labels = document.labels
    sections = [("time_and_place", labels.time_and_place), ("attendance", labels.attendance)]
    if document.items:
        sections.append(("content", labels.content))
    if document.resolution.strip() or document.tasks or document.vote is not None:
        sections.append(("resolution", labels.resolution))
    return {
        name: f"{number}. {one_line(heading)}"
        for number, (name, heading) in zip(ROMAN, sections, strict=False)
    }


def _item_lines(document: MinutesDocument, item: ItemRecord) -> list[dict[str, str]]:
    """An item's report, opinions (typed at once, then each speaker's) and conclusion; a part
    with nothing to say prints no empty label."""
    labels = document.labels
    lines: list[dict[str, str]] = []
    if item.report.strip():
        lines += _labelled(labels.report, item.report, italic=True)
    if item.opinions.strip() or item.spoken:
        lines += _labelled(labels.opinions, item.opinions, italic=True)
    for opinion in item.spoken:
        first, *rest = _lines(opinion.text) or [""]
        lines.append(_line(speaker=f"{one_line(opinion.speaker)}: ", text=first))
        lines += [_line(text=line) for line in rest]
    if item.conclusion.strip():
        lines += _labelled(labels.conclusion, item.conclusion, italic=True)
    return lines


def _vote(document: MinutesDocument) -> dict[str, str] | None:
    vote, labels = document.vote, document.labels
    if vote is None:
        return None
    return {
        "tally": (
            f"{labels.vote}: {labels.votes_for} {vote.votes_for}; "
            f"{labels.votes_against} {vote.against}; "
            f"{labels.votes_abstain} {vote.abstain}"
        ),
        "outcome": labels.adopted if vote.adopted else labels.not_adopted,
    }


def _set_properties(word: DocxTemplate, document: MinutesDocument) -> None:
    # Set after rendering, so that no typed text passes through the template engine.
    properties = word.docx.core_properties
    subtitle, cell = one_line(document.subtitle), one_line(document.cell)
    properties.title = f"{one_line(document.labels.title)} – {subtitle}"
    properties.subject = subtitle
    properties.author = cell
    properties.last_modified_by = cell
    # The meeting's time keeps the output reproducible.
    stamp = _as_utc(document.ends_at or document.starts_at)
    properties.created = stamp
    properties.modified = stamp


def _as_utc(moment: datetime) -> datetime:
    """Naive UTC, since python-docx writes the datetime's fields as UTC without converting."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


# Building blocks


def _line(
    *, label: str = "", italic_label: str = "", speaker: str = "", text: str = ""
) -> dict[str, str]:
    return {"label": label, "italic_label": italic_label, "speaker": speaker, "text": text}


def _labelled(label: str, text: str, *, italic: bool = False) -> list[dict[str, str]]:
    """``label: text``; a text of several lines continues in paragraphs of its own."""
    first, *rest = _lines(text) or [""]
    name = f"{one_line(label)}: " if first else f"{one_line(label)}:"
    head = _line(italic_label=name, text=first) if italic else _line(label=name, text=first)
    return [head, *(_line(text=line) for line in rest)]


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


def _closing_time(document: MinutesDocument) -> str:
    end = _end_time(document)
    if end is None:
        return BLANK
    if end.date() == document.starts_at.date():
        return f"{end:%H:%M}"
    return f"{end:%H:%M %d/%m/%Y}"


def _end_time(document: MinutesDocument) -> datetime | None:
    """The end in the start's time zone, so both read on the same clock."""
    end, start = document.ends_at, document.starts_at
    if end is None or end.tzinfo is None or start.tzinfo is None:
        return end
    return end.astimezone(start.tzinfo)
