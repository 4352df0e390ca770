"""The locks the README, CI and the Dockerfile install from agree with pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;]+)")


def pins(lock: str) -> dict[str, Version]:
    found = {}
    for line in (ROOT / lock).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = Version(match.group(3))
    return found


def declared(extras: tuple[str, ...]) -> list[Requirement]:
    lines = list(PROJECT["dependencies"])
    for extra in extras:
        lines += PROJECT["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(
    ("lock", "extras"), [("requirements.lock", ()), ("requirements-dev.lock", ("dev",))]
)
def test_every_declared_dependency_is_pinned_within_its_range(
    lock: str, extras: tuple[str, ...]
) -> None:
    pinned = pins(lock)
    environment = default_environment()
    outside = {
        str(requirement): pinned.get(canonicalize_name(requirement.name))
        for requirement in declared(extras)
        if requirement.marker is None or requirement.marker.evaluate(environment)
        if canonicalize_name(requirement.name) not in pinned
        or pinned[canonicalize_name(requirement.name)] not in requirement.specifier
    }
    assert outside == {}, f"refresh {lock} (README, Development)"


def test_installs_go_through_the_locks() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install --quiet -r requirements.lock -e . && .venv/bin/chibo demo" in readme
    assert "-r requirements-dev.lock -e '.[dev]' && .venv/bin/pytest" in readme
    assert "-r requirements-dev.lock" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "-r requirements.lock" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
