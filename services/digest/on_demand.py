"""/digest on demand: a supervisor chooses the period, and gets the digest of their scope
for it, with its chart and workbook."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from domain.digest import PeriodName, period_of
from domain.messages import N_, Reply, Text
from services.dashboard_links import overview_button
from services.digest.figures import digest_figures
from services.digest.report import period_label, render_files, summary_text
from services.errors import refused
from services.people import require_person
from services.request import Request
from services.routes import button
from storage.models import Organisation
from storage.repositories import supervisor_scopes

PERIOD_TEXT = {
    PeriodName.WEEK: N_("digest.period.week"),
    PeriodName.MONTH: N_("digest.period.month"),
    PeriodName.QUARTER: N_("digest.period.quarter"),
}


async def choose(request: Request) -> Reply:
    """The periods to choose from, for a supervisor; the dashboard too, where it is served."""
    async with request.transaction() as session:
        make_button = request.buttons(session)
        _, actor = await require_person(session, request.caller)
        if not actor.is_supervisor:
            raise refused("error.not_supervisor")
        buttons = tuple(
            [
                await make_button(Text(label), "digest.period", period=name.value)
                for name, label in PERIOD_TEXT.items()
            ]
        )
        record = (
            await make_button(Text("record.button.organisation_year"), "record.organisation_year"),
            await make_button(Text("record.button.archive"), "record.archive"),
        )
        dashboard = overview_button(request)
        rows = (buttons, record) if dashboard is None else (buttons, record, (dashboard,))
        return Reply(Text("digest.choose"), rows)


@dataclass(frozen=True)
class Chosen:
    period: PeriodName


@button("digest.period", Chosen)
async def show(request: Request, chosen: Chosen) -> Reply:
    """The digest of the chosen period, for the first of the caller's scopes."""
    settings = request.settings
    period = period_of(chosen.period, request.now, settings.zone)
    async with request.transaction() as session:
        person, _ = await require_person(session, request.caller)
        mine = await supervisor_scopes(session, [person.id])
        if not mine:
            raise refused("error.not_supervisor")
        (_, organisation_id), cell_ids = sorted(mine.items(), key=lambda kv: kv[0])[0]
        organisation = await session.get(Organisation, organisation_id)
        assert organisation is not None
        digest = await digest_figures(
            session,
            organisation,
            cell_ids,
            period,
            request.now,
            settings,
            request.render,
            period_label(period, settings.zone),
        )
    stem = f"chibo-{period.start:%Y%m%d}"
    # Drawn in a worker thread: seconds for a province, during which the event loop stays free
    # (the outbox keeps sending; with CHIBO_CONCURRENT_UPDATES > 1 others are answered too).
    return Reply(
        summary_text(digest),
        attachments=await asyncio.to_thread(render_files, digest, request.render, stem),
    )
