"""The test run's own report stays readable for a newcomer without PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_postgresql_skips_are_reported_as_one_line() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_outbox.py",
            "tests/test_faults.py",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = finished.stdout.splitlines()
    about_postgresql = [line for line in lines if "TEST_DATABASE_URL" in line]
    assert finished.returncode == 0, finished.stdout[-2000:]
    assert len(about_postgresql) == 1, about_postgresql
    assert about_postgresql[0].startswith("SKIPPED [")
    skipped = int(about_postgresql[0].split("[", 1)[1].split("]", 1)[0])
    assert f"{skipped} skipped" in lines[-1]
    assert skipped > 1
    # A test of PostgreSQL's own faults has no SQLite variant to skip at all.
    assert [line for line in lines if line.startswith("SKIPPED")] == about_postgresql
