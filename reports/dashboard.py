"""The dashboard's pages as HTML (Jinja2, escaped): the shell the Mini App opens, the pages
it loads into it, and a stand-alone snapshot of a page with its style inlined."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from domain.digest import MonthTotals, Square

STATIC = Path(__file__).parent / "static"
_TEMPLATES = Path(__file__).parent / "templates" / "dashboard"
# Where each series of the trend is drawn, in the SVG's own units.
_TREND_WIDTH, _TREND_HEIGHT, _TREND_LEFT, _TREND_BOTTOM = 640, 220, 40, 30
SQUARE_MARK = {
    Square.ON_TIME: "✓",
    Square.LATE: "!",
    Square.MISSED: "✗",
    Square.NOT_OWED: "–",
    Square.AHEAD: "·",
}


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["mark"] = SQUARE_MARK
    return environment


def fragment(template: str, **context: Any) -> str:
    """A page's content, to be shown inside the shell."""
    return _environment().get_template(template).render(**context)


def shell(base: str, lang: str) -> str:
    """The page Telegram opens: no figures, only what loads them with the launch data."""
    return fragment("shell.html", base=base, lang=lang)


def snapshot(content: str, lang: str, title: str) -> str:
    """A page that stands alone, as a file: its content with the style inlined, no script."""
    style = Markup((STATIC / "dashboard.css").read_text(encoding="utf-8"))
    return fragment("snapshot.html", content=Markup(content), lang=lang, title=title, style=style)


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Trend:
    """The organisation's attendance and on-time share by month, placed on the SVG."""

    months: list[TrendPoint]  # the x axis' labels
    attendance: list[list[TrendPoint]]  # runs of months with a figure (a gap breaks a line)
    on_time: list[list[TrendPoint]]
    norm_y: float
    grid: list[TrendPoint]  # 0, 50 and 100%
    width: int = _TREND_WIDTH
    height: int = _TREND_HEIGHT


def trend(totals: list[MonthTotals], norm_percent: int) -> Trend:
    plot_width = _TREND_WIDTH - _TREND_LEFT - 10
    plot_height = _TREND_HEIGHT - _TREND_BOTTOM - 10
    step = plot_width / max(len(totals) - 1, 1)

    def x(index: int) -> float:
        return round(_TREND_LEFT + index * step, 1)

    def y(percent: int) -> float:
        return round(10 + plot_height * (1 - percent / 100), 1)

    def runs(value: Callable[[MonthTotals], int | None]) -> list[list[TrendPoint]]:
        found: list[list[TrendPoint]] = [[]]
        for index, month in enumerate(totals):
            percent = value(month)
            if percent is None:
                found.append([])
            else:
                found[-1].append(TrendPoint(x(index), y(percent), f"{percent}%"))
        return [run for run in found if run]

    return Trend(
        months=[TrendPoint(x(i), _TREND_HEIGHT - 8, t.month.label) for i, t in enumerate(totals)],
        attendance=runs(lambda t: t.attendance_percent),
        on_time=runs(lambda t: t.on_time_percent),
        norm_y=y(norm_percent),
        grid=[TrendPoint(_TREND_LEFT - 4, y(p), f"{p}%") for p in (0, 50, 100)],
    )
