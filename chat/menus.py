"""The commands each kind of person sees in Telegram's menu and in /help."""

from __future__ import annotations

from collections.abc import Sequence

from domain.messages import N_
from domain.permissions import Menu

MENU_COMMANDS: dict[Menu, tuple[tuple[str, str], ...]] = {
    Menu.MEMBER: (
        ("start", N_("cmd.start")),
        ("help", N_("cmd.help")),
        ("checkin", N_("cmd.checkin")),
        ("submit", N_("cmd.submit")),
        ("tasks", N_("cmd.tasks")),
        ("lang", N_("cmd.lang")),
    ),
    Menu.MANAGER: (
        ("schedule", N_("cmd.schedule")),
        ("meetings", N_("cmd.meetings")),
        ("attendance", N_("cmd.attendance")),
        ("minutes", N_("cmd.minutes")),
        ("invite", N_("cmd.invite")),
        ("members", N_("cmd.members")),
        ("import", N_("cmd.import")),
    ),
    Menu.SUPERVISOR: (
        ("newcell", N_("cmd.newcell")),
        ("cells", N_("cmd.cells")),
        ("digest", N_("cmd.digest")),
    ),
}
GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("linkgroup", N_("cmd.linkgroup")),
    ("help", N_("cmd.help")),
)
MENU_TITLES = {
    Menu.MEMBER: N_("help.section.member"),
    Menu.MANAGER: N_("help.section.manager"),
    Menu.SUPERVISOR: N_("help.section.supervisor"),
}


def commands_for(menus: Sequence[Menu]) -> list[tuple[str, str]]:
    return [command for menu in menus for command in MENU_COMMANDS[menu]]
