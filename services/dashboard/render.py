"""The dashboard's pages in the viewer's language, as HTML (reports/dashboard.py lays them
out): the figures' pages, the refusals, and the shell Telegram opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from domain.attendance import ATTENDANCE_NORM
from domain.digest import Square
from domain.messages import N_, Text
from domain.percent import whole_percent
from domain.webapp import Refusal
from reports.dashboard import STATIC, fragment, shell, trend
from services.dashboard.access import Denial
from services.dashboard.pages import CellYear, Overview

__all__ = ["STATIC", "denied_html", "page_html", "shell_html"]

LABEL_KEYS = {
    "period": N_("dashboard.label.period"),
    "quarter_short": N_("dashboard.label.quarter_short"),
    "thematic_short": N_("dashboard.label.thematic_short"),
    "on_time_share": N_("dashboard.label.on_time_share"),
    "mean_attendance": N_("dashboard.label.mean_attendance"),
    "thematic_share": N_("dashboard.label.thematic_share"),
    "trend": N_("dashboard.label.trend"),
    "grid": N_("dashboard.label.grid"),
    "cells": N_("dashboard.label.cells"),
    "cell": N_("dashboard.label.cell"),
    "attendance": N_("dashboard.label.attendance"),
    "minutes_recorded": N_("dashboard.label.minutes_recorded"),
    "papers": N_("dashboard.label.papers"),
    "behind": N_("dashboard.label.behind"),
    "norm": N_("dashboard.label.norm"),
    "meetings": N_("dashboard.label.meetings"),
    "meeting_date": N_("dashboard.label.meeting_date"),
    "meeting_kind": N_("dashboard.label.meeting_kind"),
    "present": N_("dashboard.label.present"),
    "excused": N_("dashboard.label.excused"),
    "unexcused": N_("dashboard.label.unexcused"),
    "expected": N_("dashboard.label.expected"),
    "quorum": N_("dashboard.label.quorum"),
    "minutes": N_("dashboard.label.minutes"),
    "no_minutes": N_("dashboard.label.no_minutes"),
    "send_to_chat": N_("dashboard.label.send_to_chat"),
    "roll_open": N_("dashboard.label.roll_open"),
    "ahead": N_("dashboard.label.ahead"),
    "late": N_("dashboard.label.late"),
    "yes": N_("dashboard.label.yes"),
    "no": N_("dashboard.label.no"),
    "members": N_("dashboard.label.members"),
    "member": N_("dashboard.label.member"),
    "at_risk": N_("dashboard.label.at_risk"),
    "left": N_("dashboard.label.left"),
    "observations": N_("dashboard.label.observations"),
    "empty": N_("dashboard.label.empty"),
    # Why a headline share is none: the digest's own words.
    "not_due_yet": N_("digest.label.not_due_yet"),
    "nobody_owed": N_("digest.label.nobody_owed"),
    "no_roll": N_("digest.label.no_roll"),
}
SQUARE_TEXT = {
    Square.ON_TIME: N_("dashboard.square.on_time"),
    Square.LATE: N_("dashboard.square.late"),
    Square.MISSED: N_("dashboard.square.missed"),
    Square.NOT_OWED: N_("dashboard.square.not_owed"),
    Square.AHEAD: N_("dashboard.square.ahead"),
}
THEMATIC_TEXT = {
    Square.ON_TIME: N_("dashboard.thematic.held"),
    Square.MISSED: N_("dashboard.thematic.missed"),
    Square.NOT_OWED: N_("dashboard.thematic.not_owed"),
    Square.AHEAD: N_("dashboard.thematic.ahead"),
}
REFUSAL_TEXT = {
    Refusal.MISSING: N_("dashboard.refused.missing"),
    Refusal.MALFORMED: N_("dashboard.refused.forged"),
    Refusal.FORGED: N_("dashboard.refused.forged"),
    Refusal.EXPIRED: N_("dashboard.refused.expired"),
}
DENIAL_TEXT = {
    Denial.NOT_REGISTERED: N_("dashboard.denied.not_registered"),
    Denial.NO_DASHBOARD: N_("dashboard.denied.no_dashboard"),
    Denial.NOT_YOURS: N_("dashboard.denied.not_yours"),
    Denial.NOT_FOUND: N_("dashboard.denied.not_found"),
}


def page_html(page: Overview | CellYear, base: str) -> str:
    """A page of figures, in its viewer's language, its links under ``base``."""
    render = page.viewing.render
    context: dict[str, Any] = {
        "base": base,
        "l": {name: render(Text(key)) for name, key in LABEL_KEYS.items()},
        "states": {square: render(Text(key)) for square, key in SQUARE_TEXT.items()},
        "thematic_states": {square: render(Text(key)) for square, key in THEMATIC_TEXT.items()},
        "percent": lambda value: "—" if value is None else f"{value}%",
        "link": lambda **params: (
            base + "/?" + urlencode({k: v for k, v in params.items() if v is not None})
        ),
    }
    if isinstance(page, Overview):
        drawn = trend(page.totals, whole_percent(ATTENDANCE_NORM))
        return fragment("overview.html", o=page, trend=drawn, **context)
    return fragment("cell.html", c=page, **context)


def denied_html(render: Callable[[Text], str], text: Text, status: int) -> str:
    """Why a page is not shown, said in the viewer's language."""
    return fragment(
        "denied.html",
        denial=str(status),
        title=render(Text("dashboard.refused.title")),
        text=render(text),
    )


def shell_html(base: str, language: str) -> str:
    return shell(base, language)
