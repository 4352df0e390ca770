"""How the digest is sent: its message, and its chart and workbook in the reader's language."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from domain.digest import DigestFigures, DigestLabels, Period, RegularState
from domain.messages import N_, Attachment, Text
from reports.chart import attendance_chart
from reports.spreadsheet import digest_workbook
from services.digest.figures import Render

STATE_TEXT = {
    RegularState.ON_TIME: N_("digest.state.on_time"),
    RegularState.LATE: N_("digest.state.late"),
    RegularState.SCHEDULED: N_("digest.state.scheduled"),
    RegularState.MISSING: N_("digest.state.missing"),
    RegularState.NOT_OWED: N_("digest.state.not_owed"),
}
LABEL_KEYS = {
    "title": N_("digest.label.title"),
    "attendance_axis": N_("digest.label.attendance_axis"),
    "norm": N_("digest.label.norm"),
    "late": N_("digest.label.late"),
    "missing": N_("digest.label.missing"),
    "no_roll": N_("digest.label.no_roll"),
    "summary_sheet": N_("digest.label.summary_sheet"),
    "at_risk_sheet": N_("digest.label.at_risk_sheet"),
    "cell": N_("digest.label.cell"),
    "regular": N_("digest.label.regular"),
    "regular_date": N_("digest.label.regular_date"),
    "thematic": N_("digest.label.thematic"),
    "attendance": N_("digest.label.attendance"),
    "quorum": N_("digest.label.quorum"),
    "papers_assigned": N_("digest.label.papers_assigned"),
    "papers_submitted": N_("digest.label.papers_submitted"),
    "papers_late": N_("digest.label.papers_late"),
    "minutes_missing": N_("digest.label.minutes_missing"),
    "behind": N_("digest.label.behind"),
    "meeting_date": N_("digest.label.meeting_date"),
    "meeting_kind": N_("digest.label.meeting_kind"),
    "expected": N_("digest.label.expected"),
    "present": N_("digest.label.present"),
    "minutes": N_("digest.label.minutes"),
    "member": N_("digest.label.member"),
    "unexcused": N_("digest.label.unexcused"),
    "yes": N_("digest.label.yes"),
    "no": N_("digest.label.no"),
    "organisation": N_("digest.label.organisation"),
    "period": N_("digest.label.period"),
    "on_time_share": N_("digest.label.on_time_share"),
    "mean_attendance": N_("digest.label.mean_attendance"),
    "thematic_share": N_("digest.label.thematic_share"),
    "meetings_sheet": N_("digest.label.meetings_sheet"),
    "nobody_owed": N_("digest.label.nobody_owed"),
    "not_due_yet": N_("digest.label.not_due_yet"),
    "meeting_excused": N_("digest.label.meeting_excused"),
    "meeting_unexcused": N_("digest.label.meeting_unexcused"),
    "empty": N_("digest.label.empty"),
}


def labels(render: Render) -> DigestLabels:
    return DigestLabels(
        **{name: render(Text(key)) for name, key in LABEL_KEYS.items()},
        more_cells=lambda count: render(Text("digest.label.more_cells", {"count": count})),
        month_of=lambda month: render(Text("digest.label.month_of", {"month": month})),
        quarter_of=lambda quarter: render(Text("digest.label.quarter_of", {"quarter": quarter})),
        states={state.value: render(Text(key)) for state, key in STATE_TEXT.items()},
    )


def period_label(period: Period, zone: ZoneInfo) -> str:
    """The period as the message and the files say it: its first and last days."""
    last_day = (period.end - timedelta(seconds=1)).astimezone(zone)
    return f"{period.start.astimezone(zone):%d/%m/%Y} – {last_day:%d/%m/%Y}"


def summary_text(digest: DigestFigures) -> Text:
    """The digest's message: organisation figures, the cells to look at first and why, and
    the members absent without reason three times or more this year."""
    at_risk = [
        Text("digest.at_risk_line", {"name": m.name, "cell": m.cell, "count": m.unexcused})
        for m in digest.members_at_risk
    ]
    observed = [
        Text("digest.observation_line", {"cell": o.cell, "name": o.observer, "text": o.text})
        for o in digest.observations
    ]
    return Text(
        "digest.summary",
        {
            "organisation": digest.organisation,
            "period": digest.period,
            "cells": len(digest.cells),
            "month": digest.month,
            "quarter": digest.quarter,
            "on_time": _percent(
                digest.on_time_percent,
                Text("digest.not_due_yet") if digest.on_time_pending else Text("digest.not_owed"),
            ),
            "attendance": _percent(digest.mean_attendance_percent, Text("digest.no_roll_yet")),
            "thematic": _percent(digest.thematic_percent, Text("digest.not_owed")),
            "behind": [
                Text(
                    "digest.behind_item",
                    {
                        "cell": cell.name,
                        "reasons": [
                            Text("digest.reason_line", {"reason": reason.label})
                            for reason in cell.behind
                        ],
                    },
                )
                for cell in digest.behind
            ]
            or [Text("digest.nobody_behind")],
            "at_risk": _section(N_("digest.at_risk"), at_risk),
            "observations": _section(N_("digest.observations"), observed),
        },
    )


def _section(key: str, lines: list[Text]) -> Text | str:
    """A titled list of lines, or nothing at all when there is none."""
    return Text(key, {"lines": lines}) if lines else ""


def _percent(value: int | None, instead: Text) -> Text | str:
    """A share, or why there is none (no cell had to, none is due yet: not 0%)."""
    return instead if value is None else f"{value}%"


def render_files(digest: DigestFigures, render: Render, stem: str) -> tuple[Attachment, ...]:
    """The chart (PNG) and the workbook (XLSX); none for a digest of no cells."""
    if not digest.cells:
        return ()
    chosen = labels(render)
    return (
        Attachment(f"{stem}.png", attendance_chart(digest, chosen)),
        Attachment(f"{stem}.xlsx", digest_workbook(digest, chosen)),
    )
