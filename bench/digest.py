"""The supervisors' digest for a large synthetic organisation: time, memory, SQL statements.

    python -m bench.digest --cells 1000 --members-per-cell 30 --months 12 [--db ...]

The organisation is written with SQLAlchemy core ``insert()`` executemany, in chunks: cells,
people, memberships, a regular meeting per cell and month (some after the cutoff day, some
without minutes), a thematic meeting per cell and quarter, the closed roll of every past
meeting (an invitation per member with its roll status), papers for the last three months,
and a few working-group observations.

Then a fresh Python process (so that its peak RSS is the digest's, not the seeding's) runs,
as the weekly digest and /digest do, ``services.digest.figures.digest_figures`` for every
cell of the organisation and ``services.digest.report.render_files`` (the PNG chart and the
XLSX workbook), and reports ``figures_s`` (first call, cold caches; the second call is shown
in the table), ``render_s``, ``peak_rss_mb`` (``ru_maxrss`` of that process) and
``sql_statements`` (sent during one ``digest_figures`` call, counted with
``before_cursor_execute``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from bench.common import (
    NOW,
    ZONE,
    Sizes,
    bench_parser,
    counting_statements,
    emit_json,
    peak_rss_mb,
    print_machine,
    print_province,
    print_table,
    progress,
    province_arguments,
    scratch_database,
    seeded_province,
)
from storage.db import Database
from storage.models import Organisation

# The goals (bench/README.md, 10,000 cells on PostgreSQL): the figures and the rendering
# each within 5 s, the process under 400 MB.
FIGURES_GOAL_S = 5.0
RENDER_GOAL_S = 5.0
RSS_GOAL_MB = 400


# --- the measurement, in a fresh process -------------------------------------------------------


async def measure(url: str, period_name: str) -> dict[str, Any]:
    from chat.i18n import Translator
    from domain.digest import PeriodName, period_of
    from domain.messages import Text
    from reports.chart import attendance_chart
    from reports.spreadsheet import digest_workbook
    from services.config import ServiceSettings
    from services.digest import report
    from services.digest.figures import digest_figures

    settings = ServiceSettings(default_language="vi", member_invite_days=14, zone=ZONE)
    translator = Translator(ZONE, "vi")

    def render(text: Text) -> str:
        return translator.render(text, "vi")

    period = period_of(PeriodName(period_name), NOW, ZONE)
    label = f"{period.start:%d/%m/%Y} – {period.end - timedelta(seconds=1):%d/%m/%Y}"
    database = Database(url)
    rss_before = peak_rss_mb()
    try:
        timings = []
        cpu = []
        statements = []
        for _ in range(2):
            async with database.transaction() as session:
                organisation = await session.get(Organisation, 1)
                assert organisation is not None
                with counting_statements(database) as counter:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    figures = await digest_figures(
                        session, organisation, None, period, NOW, settings, render, label
                    )
                    timings.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - started_cpu)
                statements.append(counter.count)
        rss_figures = peak_rss_mb()
        # What report.render_files does, timed step by step.
        started, started_cpu = time.perf_counter(), time.process_time()
        labels = report.labels(render)
        chart = attendance_chart(figures, labels)
        chart_s = time.perf_counter() - started
        rss_chart = peak_rss_mb()
        workbook = digest_workbook(figures, labels)
        render_s = time.perf_counter() - started
        render_cpu_s = time.process_time() - started_cpu
    finally:
        await database.dispose()
    return {
        "figures_s": timings[0],
        "figures_warm_s": timings[1],
        "figures_cpu_s": cpu[0],
        "figures_warm_cpu_s": cpu[1],
        "render_cpu_s": render_cpu_s,
        "sql_statements": statements[0],
        "sql_statements_warm": statements[1],
        "render_s": render_s,
        "chart_s": chart_s,
        "png_bytes": len(chart),
        "xlsx_bytes": len(workbook),
        "cells_in_figures": len(figures.cells),
        "meetings_in_period": sum(len(c.meetings) for c in figures.cells),
        "behind": len(figures.behind),
        "rss_after_imports_mb": rss_before,
        "rss_after_figures_mb": rss_figures,
        "rss_after_chart_mb": rss_chart,
        "peak_rss_mb": peak_rss_mb(),
    }


def _measure_in_child(url: str, period: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.digest", "--measure", url, "--period", period],
        check=False,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines()
        errors = [line for line in lines if "Error" in line.split(":")[0]] or lines[-1:]
        # SQL errors quote the statement and its parameters: keep the first words.
        raise SystemExit(f"the digest failed: {(errors or ['no output'])[-1][:400]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def print_result(
    args: argparse.Namespace, sizes: Sizes, seed_s: float, result: dict[str, Any]
) -> None:
    print_machine()
    print(
        f"database: {args.db}; digest period: {args.period} (of {NOW:%Y-%m-%d %H:%M} "
        f"Asia/Ho_Chi_Minh); seeding took {seed_s:.1f} s"
    )
    print_province(sizes)
    print_table(
        "The digest",
        ("figure", "value"),
        [
            ("figures_s (first call)", result["figures_s"]),
            ("figures, second call, s", result["figures_warm_s"]),
            (
                "  CPU of this process, first / second call, s",
                f"{result['figures_cpu_s']:.3f} / {result['figures_warm_cpu_s']:.3f}",
            ),
            ("sql_statements per figures call", result["sql_statements"]),
            ("render_s (chart + workbook)", result["render_s"]),
            ("  CPU, s", result["render_cpu_s"]),
            ("  of which the chart alone, s", result["chart_s"]),
            ("PNG size, KB", result["png_bytes"] / 1024),
            ("XLSX size, KB", result["xlsx_bytes"] / 1024),
            (
                "cells / meetings in the period",
                f"{result['cells_in_figures']} / {result['meetings_in_period']}",
            ),
            ("cells behind", result["behind"]),
            ("RSS after imports, MB", result["rss_after_imports_mb"]),
            ("peak RSS after figures, MB", result["rss_after_figures_mb"]),
            ("peak RSS after the chart, MB", result["rss_after_chart_mb"]),
            ("peak_rss_mb (after rendering)", result["peak_rss_mb"]),
        ],
    )


async def main(args: argparse.Namespace) -> dict[str, Any]:
    async with scratch_database(args.db) as database:
        sizes, seed_s = await seeded_province(
            database, args.cells, args.members_per_cell, args.months
        )
        progress("measuring in a fresh process")
        url = database.url.render_as_string(hide_password=False)
        result = await asyncio.to_thread(_measure_in_child, url, args.period)
    print_result(args, sizes, seed_s, result)
    ratios = {
        "figures_to_goal": result["figures_s"] / FIGURES_GOAL_S,
        "render_to_goal": result["render_s"] / RENDER_GOAL_S,
        "rss_to_goal": result["peak_rss_mb"] / RSS_GOAL_MB,
        "warm_to_cold": result["figures_warm_s"] / result["figures_s"],
    }
    print(
        f"\nfigures_s / goal ({FIGURES_GOAL_S:g} s): {ratios['figures_to_goal']:.3f}; "
        f"peak_rss_mb / goal ({RSS_GOAL_MB} MB): {ratios['rss_to_goal']:.3f}; "
        f"second figures call / first: {ratios['warm_to_cold']:.3f}"
    )
    return {
        "db": args.db,
        "cells": args.cells,
        "members_per_cell": args.members_per_cell,
        "months": args.months,
        "figures_s": round(result["figures_s"], 3),
        "figures_cpu_s": round(result["figures_cpu_s"], 3),
        "render_s": round(result["render_s"], 3),
        "render_cpu_s": round(result["render_cpu_s"], 3),
        "peak_rss_mb": round(result["peak_rss_mb"], 1),
        "sql_statements": result["sql_statements"],
        **{name: round(value, 3) for name, value in ratios.items()},
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = bench_parser("digest", __doc__)
    province_arguments(parser, cells=1000)
    parser.add_argument(
        "--period",
        choices=("week", "month", "quarter"),
        default="quarter",
        help="the digest's period, as /digest offers it (quarter: the most meetings)",
    )
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.measure:
        emit_json(asyncio.run(measure(arguments.measure, arguments.period)))
    else:
        emit_json(asyncio.run(main(arguments)))
