"""Compiles the gettext catalogues (.po -> .mo) whenever the package is built or installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogueBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        for po_file in sorted(root.glob("bot/locale/*/LC_MESSAGES/*.po")):
            mo_file = po_file.with_suffix(".mo")
            with po_file.open("rb") as source:
                catalogue = read_po(source)
            with mo_file.open("wb") as target:
                write_mo(target, catalogue)
            # .mo files are build products (ignored by git), so name them for the wheel.
            build_data["force_include"][str(mo_file)] = str(mo_file.relative_to(root))
