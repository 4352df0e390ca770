"""Packages import in one direction: Telegram and the clock at the edge, rules in the middle.

The table is the one of the architecture notes: each shipped package names the packages of
ours it may import (its own always). Imports are read from every module's syntax tree,
including those inside functions, so a late import cannot hide a dependency.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SHIPPED = tuple(PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
# Drive the composition root; not shipped, so not in the table.
DRIVERS = ("bench", "tests")
OURS = frozenset(SHIPPED) | frozenset(DRIVERS) | {"web"}

MAY_IMPORT: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "storage": frozenset({"domain"}),
    "reports": frozenset({"domain"}),
    "chat": frozenset({"domain"}),
    "services": frozenset({"domain", "storage", "reports"}),
    "handlers": frozenset({"services", "chat", "domain"}),
    # storage: the outbox dispatcher claims and settles the outbox's rows itself (FOR UPDATE
    # SKIP LOCKED, one row at a time), and the jobs are built with the database and the
    # file store they hand to the use cases.
    "scheduler": frozenset({"services", "chat", "domain", "storage"}),
    # The dashboard, once it exists.
    "web": frozenset({"services", "chat", "domain"}),
    # The composition root wires everything, the emulator included (chibo demo runs on it);
    # nothing imports it.
    "bot": frozenset(SHIPPED) - {"bot"},
    "emulator": frozenset(),
}

# Imports that break the table today: (module, package it imports). Each entry is for the
# session that removes it; an entry no longer needed fails the test below.
EXCEPTIONS: frozenset[tuple[str, str]] = frozenset(
    {
        # The application state (AppState) is typed with the database and the file store that
        # handlers pass to the use cases; the request context built once per update (issue 14)
        # is to carry the unit of work instead.
        ("handlers/common.py", "storage"),
    }
)


def imported_packages(path: Path) -> set[str]:
    """The top-level packages of ours that a module imports (relative imports stay inside)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(top for name in names if (top := name.split(".")[0]) in OURS)
    return found


def imports_of(package: str) -> dict[str, set[str]]:
    """Each module of the package (by its path) and the other packages of ours it imports."""
    return {
        path.relative_to(ROOT).as_posix(): imported_packages(path) - {package}
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def test_every_shipped_package_has_a_row() -> None:
    assert set(SHIPPED) <= set(MAY_IMPORT)
    assert not (ROOT / "web").exists() or "web" in SHIPPED


@pytest.mark.parametrize("package", SHIPPED)
def test_a_package_imports_only_what_its_row_allows(package: str) -> None:
    broken = [
        (module, imported)
        for module, packages in imports_of(package).items()
        for imported in sorted(packages - MAY_IMPORT[package])
        if (module, imported) not in EXCEPTIONS
    ]
    assert broken == []


def test_every_exception_is_still_needed() -> None:
    for module, imported in EXCEPTIONS:
        package = module.split("/")[0]
        assert imported in imports_of(package)[module], f"{module} -> {imported}: remove it"


def test_no_loop_between_packages() -> None:
    graph = {
        package: set[str]().union(*imports_of(package).values()) & set(SHIPPED)
        for package in SHIPPED
    }
    done: set[str] = set()

    def visit(package: str, path: tuple[str, ...]) -> None:
        assert package not in path, " -> ".join((*path, package))
        if package in done:
            return
        for imported in sorted(graph[package]):
            visit(imported, (*path, package))
        done.add(package)

    for package in SHIPPED:
        visit(package, ())
