"""The chart marks what a supervisor must see, and keeps every mark and word in the picture."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D

import reports.chart
from domain.digest import Behind, BehindReason, RegularState
from reports.chart import FigureCanvasAgg, attendance_chart
from tests.harness import on_every_chart
from tests.test_digest_reports import CELLS, FIGURES, LABELS

MISSED_AUGUST = Behind(BehindReason.MISSED_MONTH, "bỏ sinh hoạt thường kỳ tháng 08/2026")


def drawn_chart(monkeypatch: pytest.MonkeyPatch, figures: Any) -> dict[str, Any]:
    """Every text and marker of the drawn chart, with where they landed in pixels."""
    seen: dict[str, Any] = {}

    def look(canvas: FigureCanvasAgg) -> None:
        renderer = canvas.get_renderer()
        ax = canvas.figure.axes[0]
        seen["axes"] = ax.get_window_extent(renderer)
        seen["figure"] = canvas.figure.bbox
        seen["rows"] = [label.get_text() for label in ax.get_yticklabels()]
        seen["texts"] = [
            (text.get_text(), text.get_window_extent(renderer))
            for text in ax.texts
            if text.get_text()
        ]
        lines = [line for line in ax.lines if isinstance(line, Line2D)]
        marked = [line for line in lines if line.get_marker() not in (None, "None", "")]
        seen["marked_rows"] = [(line.get_marker(), line.get_ydata()[0]) for line in marked]
        seen["markers"] = [
            (line.get_marker(), ax.transData.transform((line.get_xdata()[0], row)))
            for line in marked
            for row in line.get_ydata()
        ]
        norm = [line for line in lines if line.get_linestyle() == "--"]
        seen["norm_x"] = ax.transData.transform((90, 0))[0] if norm else None

    on_every_chart(monkeypatch, look)
    attendance_chart(figures, LABELS)
    return seen


def test_a_cell_that_missed_a_month_is_marked_though_its_rate_is_high(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    healthy_but_missed = replace(
        CELLS[0], attendance_rate=Fraction(93, 100), behind=[MISSED_AUGUST]
    )
    assert healthy_but_missed.regular is RegularState.ON_TIME
    figures = replace(FIGURES, cells=[healthy_but_missed, *CELLS[1:]])
    seen = drawn_chart(monkeypatch, figures)
    row = seen["rows"].index(reports.chart._short(healthy_but_missed.name))
    missed_marks = [text for text, _ in seen["texts"] if text == LABELS.missing]
    assert len(missed_marks) == 2  # the cell without a meeting, and this one
    assert ("X", row) in seen["marked_rows"]


def test_marks_and_labels_stay_inside_the_plot_and_off_the_norm_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figures = replace(
        FIGURES,
        cells=[
            replace(cell, attendance_rate=Fraction(rate, 100))
            for cell, rate in zip(CELLS, (100, 98, 91, 89, 15), strict=True)
        ],
    )
    seen = drawn_chart(monkeypatch, figures)
    axes, picture = seen["axes"], seen["figure"]
    for _marker, (x, y) in seen["markers"]:
        assert axes.x0 <= x <= axes.x1 and axes.y0 <= y <= axes.y1
    for text, extent in seen["texts"]:
        assert picture.x0 <= extent.x0 and extent.x1 <= picture.x1, text
    values = [(text, extent) for text, extent in seen["texts"] if text[:-1].isdigit()]
    assert {text for text, _ in values} >= {"100%", "98%", "91%", "89%", "15%"}
    for text, extent in values:
        assert not extent.x0 <= seen["norm_x"] <= extent.x1, f"the 90% line crosses {text}"
    for text, extent in seen["texts"]:
        if text in (LABELS.late, LABELS.missing):
            assert axes.x0 <= extent.x0 and extent.x1 <= axes.x1, text


def test_long_names_are_cut_after_a_whole_word() -> None:
    short = reports.chart._short
    assert short("Chi bộ Trường Trung học phổ thông Nguyễn Thượng Hiền") == (
        "Chi bộ Trường Trung học phổ thông…"
    )
    assert short("Chi bộ Công ty Cổ phần Xây dựng Thăng Long") == "Chi bộ Công ty Cổ phần Xây dựng…"
    assert short("Chi bộ Khu phố 3") == "Chi bộ Khu phố 3"
    assert short("A" * 50) == "A" * 34 + "…"


def test_a_rate_shown_as_90_but_below_it_is_drawn_below_the_norm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    colours: list[str] = []

    on_every_chart(
        monkeypatch,
        lambda canvas: colours.extend(
            to_hex(bar.get_facecolor()) for bar in canvas.figure.axes[0].patches
        ),
    )
    just_under = replace(CELLS[0], attendance_rate=Fraction(26, 29))  # 89.66%, shown as 90%
    attendance_chart(replace(FIGURES, cells=[just_under]), LABELS)
    assert colours == [reports.chart.BELOW_NORM_COLOUR.lower()]
