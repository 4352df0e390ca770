"""The buttons that open the supervisors' dashboard (a Telegram Mini App): the overview of
what a supervisor oversees, one cell's page for its secretary, and a supervisor's chat menu
button.

Offered only where the dashboard is served (a public address is set), and in a private chat:
Telegram refuses Web App buttons in groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.messages import Button, Text
from services.config import ServiceSettings

if TYPE_CHECKING:  # services.people, which sets the menu button, is imported by the request
    from services.request import Request

# A cell's page, under the dashboard's address (which ends with "/").
CELL_PATH = "cells/{cell_id}"


def overview_button(request: Request) -> Button | None:
    """The button to the overview, where one can be shown."""
    url = request.settings.dashboard_url
    if url is None or not request.caller.private_chat:
        return None
    return Button(Text("dashboard.open"), web_app=url)


def cell_button(request: Request, cell_id: int, cell: str) -> Button | None:
    """The button to one cell's page, where one can be shown."""
    url = request.settings.dashboard_url
    if url is None or not request.caller.private_chat:
        return None
    return Button(
        Text("dashboard.open_cell", {"cell": cell}),
        web_app=url + CELL_PATH.format(cell_id=cell_id),
    )


def menu_button(settings: ServiceSettings) -> Button | None:
    """A supervisor's chat menu button, to the overview; None without a dashboard."""
    if settings.dashboard_url is None:
        return None
    return Button(Text("dashboard.menu_button"), web_app=settings.dashboard_url)
