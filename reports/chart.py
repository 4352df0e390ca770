"""The digest's attendance chart: one horizontal bar per cell against the 90% norm, as a PNG."""

from __future__ import annotations

import unicodedata
from io import BytesIO

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, PercentFormatter

from domain.attendance import ATTENDANCE_NORM
from domain.digest import BehindReason, CellFigures, DigestFigures, DigestLabels, RegularState

NORM_PERCENT = 90
MAX_NAME_CHARS = 35
DPI = 120
WIDTH_INCHES = 10.0
INCHES_PER_CELL = 0.3
# Title, x axis and legend; the bars get the rest, so 50 cells stay as legible as 5.
MARGIN_INCHES = 2.2
# A province has thousands of cells: the chart shows those to look at first (no roll, then
# the lowest rates) and says how many more the spreadsheet lists.
MAX_BARS = 50

OK_COLOUR = "#4C78A8"
BELOW_NORM_COLOUR = "#F58518"
NO_ROLL_COLOUR = "#9E9E9E"
NORM_COLOUR = "#333333"
LATE_COLOUR = "#7B3294"
MISSING_COLOUR = "#D62728"
MARKERS = {RegularState.LATE: ("D", LATE_COLOUR), RegularState.MISSING: ("X", MISSING_COLOUR)}
# Late and missed meetings are marked in a column inside the plot, right of the 100% mark,
# so that no marker or its word falls outside the picture.
MARK_AT = 103
MARK_TEXT_AT = 106
X_LIMIT = 128
# A bar's value is written at its start, well left of the norm line it would otherwise cross.
VALUE_AT = 1.5

# DejaVu Sans ships with matplotlib and covers Vietnamese; naming it keeps the output
# independent of the server's installed fonts and of the global rcParams.
FONT = FontProperties(family="DejaVu Sans", size=9)
TITLE_FONT = FontProperties(family="DejaVu Sans", size=12, weight="bold")
SMALL_FONT = FontProperties(family="DejaVu Sans", size=8)


def attendance_chart(figures: DigestFigures, labels: DigestLabels) -> bytes:
    """PNG: attendance rate per cell, the 90% norm line, late or missing meetings marked.

    Cells without a closed roll come first, then the lowest rates, so the cells to look at
    are at the top; equal rates are ordered by name. Beyond ``MAX_BARS`` the title says how
    many cells are left out.
    """
    ordered = sorted(figures.cells, key=_order)
    cells = ordered[:MAX_BARS]
    left_out = len(ordered) - len(cells)
    figure = Figure(figsize=(WIDTH_INCHES, _height(len(cells))), dpi=DPI, layout="constrained")
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    for row, cell in enumerate(cells):
        _draw_bar(ax, row, cell, labels)
        _draw_state_mark(ax, row, _marked_state(cell), labels)
    _style_axes(ax, cells, labels)
    _draw_norm(ax, labels)
    _add_legend(figure, cells, labels)
    title = f"{labels.title}\n{figures.organisation} · {figures.period}"
    if left_out:
        title += f"\n{labels.more_cells(left_out)}"
    # Names are drawn as typed: text between dollar signs would otherwise be read as a
    # formula, and an unknown command in it would fail the whole chart.
    figure.suptitle(title, fontproperties=TITLE_FONT, parse_math=False)
    buffer = BytesIO()
    canvas.print_png(buffer)
    # Not registered with pyplot, so clearing drops the artists at once and nothing is kept.
    figure.clear()
    return buffer.getvalue()


def _height(cell_count: int) -> float:
    return INCHES_PER_CELL * max(cell_count, 1) + MARGIN_INCHES


def _order(cell: CellFigures) -> tuple[bool, int, str]:
    rate = cell.attendance_percent
    return (rate is not None, rate or 0, _name_key(cell.name))


def _name_key(name: str) -> str:
    """Vietnamese alphabetical enough: accents ignored, đ sorted with d."""
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFD", name) if not unicodedata.combining(ch)
    )
    return stripped.replace("đ", "d").replace("Đ", "D").casefold()


def _short(name: str) -> str:
    """The name as it fits, cut after a whole word (a single long word is cut)."""
    if len(name) <= MAX_NAME_CHARS:
        return name
    kept = name[:MAX_NAME_CHARS]
    if " " in kept:
        kept = kept[: kept.rindex(" ")]
    kept = kept[: MAX_NAME_CHARS - 1].rstrip(" -–,;:")
    return kept + "…"


def _marked_state(cell: CellFigures) -> RegularState:
    """Missed beats late: a cell that missed a month looks healthy by its rate alone."""
    if BehindReason.MISSED_MONTH in cell.reasons:
        return RegularState.MISSING
    return cell.regular


def _draw_bar(ax: Axes, row: int, cell: CellFigures, labels: DigestLabels) -> None:
    rate = cell.attendance_percent
    if rate is None:
        ax.barh(
            row,
            100,
            height=0.7,
            color="none",
            edgecolor=NO_ROLL_COLOUR,
            hatch="///",
            linewidth=0.6,
        )
        ax.text(
            2,
            row,
            labels.no_roll,
            va="center",
            ha="left",
            color="#555555",
            fontproperties=SMALL_FONT,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
        )
        return
    # The norm is met by the exact rate, not by its rounding: 89.7% is below 90%.
    assert cell.attendance_rate is not None
    colour = OK_COLOUR if cell.attendance_rate >= ATTENDANCE_NORM else BELOW_NORM_COLOUR
    ax.barh(row, rate, height=0.7, color=colour)
    inside = rate >= 15
    ax.text(
        VALUE_AT if inside else rate + 1,
        row,
        f"{rate}%",
        va="center",
        ha="left",
        color="white" if inside else "#333333",
        fontproperties=SMALL_FONT,
    )


def _draw_state_mark(ax: Axes, row: int, state: RegularState, labels: DigestLabels) -> None:
    """Late or missing meetings are marked in the column right of the bars."""
    if state not in MARKERS:
        return
    marker, colour = MARKERS[state]
    text = labels.late if state is RegularState.LATE else labels.missing
    ax.plot([MARK_AT], [row], marker=marker, color=colour, markersize=7, linestyle="none")
    ax.text(
        MARK_TEXT_AT,
        row,
        text,
        va="center",
        ha="left",
        color=colour,
        fontproperties=SMALL_FONT,
    )


def _style_axes(ax: Axes, cells: list[CellFigures], labels: DigestLabels) -> None:
    ax.set_xlim(0, X_LIMIT)
    ax.set_ylim(len(cells) - 0.5, -0.5)  # first cell at the top
    ax.set_yticks(range(len(cells)))
    ax.set_yticklabels([_short(cell.name) for cell in cells], fontproperties=FONT, parse_math=False)
    ax.xaxis.set_major_locator(FixedLocator(range(0, 101, 10)))
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    for tick in ax.get_xticklabels():
        tick.set_fontproperties(FONT)
    ax.set_xlabel(labels.attendance_axis, fontproperties=FONT)
    ax.grid(axis="x", color="#E0E0E0", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_bounds(0, 100)


def _draw_norm(ax: Axes, labels: DigestLabels) -> None:
    ax.axvline(NORM_PERCENT, color=NORM_COLOUR, linestyle="--", linewidth=1.2)
    ax.text(
        NORM_PERCENT,
        -0.5,
        labels.norm,
        ha="center",
        va="bottom",
        color=NORM_COLOUR,
        fontproperties=SMALL_FONT,
        clip_on=False,
    )


def _add_legend(figure: Figure, cells: list[CellFigures], labels: DigestLabels) -> None:
    handles: list[Patch | Line2D] = [
        Line2D([], [], color=NORM_COLOUR, linestyle="--", label=labels.norm),
        Patch(color=BELOW_NORM_COLOUR, label=f"< {NORM_PERCENT}%"),
        Patch(color=OK_COLOUR, label=f"≥ {NORM_PERCENT}%"),
    ]
    if any(cell.attendance_percent is None for cell in cells):
        handles.append(
            Patch(facecolor="none", edgecolor=NO_ROLL_COLOUR, hatch="///", label=labels.no_roll)
        )
    states = {_marked_state(cell) for cell in cells}
    for state, text in ((RegularState.LATE, labels.late), (RegularState.MISSING, labels.missing)):
        if state in states:
            marker, colour = MARKERS[state]
            handles.append(
                Line2D([], [], marker=marker, color=colour, linestyle="none", label=text)
            )
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        prop=FONT,
        frameon=False,
    )
