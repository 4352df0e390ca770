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


def run_browser_harness_without_chromium(tmp_path: Path, **environ: str) -> list[str]:
    """tests/test_browser_harness.py run as if Chromium were not installed; its report."""
    (tmp_path / "without_chromium.py").write_text(
        "from pathlib import Path\n"
        "import tests.browser\n"
        "tests.browser.CHROMIUM = Path('/nonexistent/chromium')\n",
        encoding="utf-8",
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TEST_DATABASE_URL", "CHIBO_REQUIRE_BROWSER")
    }
    environment["PYTHONPATH"] = str(tmp_path)
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "without_chromium",
            "tests/test_browser_harness.py",
        ],
        cwd=ROOT,
        env=environment | environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return [f"exit status {finished.returncode}", *finished.stdout.splitlines()]


def test_without_chromium_the_browser_tests_are_skipped_in_one_line(tmp_path: Path) -> None:
    status, *lines = run_browser_harness_without_chromium(tmp_path)
    about_chromium = [line for line in lines if "chromium-driver" in line]
    assert status == "exit status 0", lines[-30:]
    assert len(about_chromium) == 1, about_chromium
    assert about_chromium[0].startswith("SKIPPED [")
    skipped = int(about_chromium[0].split("[", 1)[1].split("]", 1)[0])
    assert skipped > 1


def test_without_chromium_a_run_that_requires_it_fails(tmp_path: Path) -> None:
    status, *lines = run_browser_harness_without_chromium(tmp_path, CHIBO_REQUIRE_BROWSER="1")
    assert status != "exit status 0"
    assert not [line for line in lines if line.startswith("SKIPPED") and "chromium" in line]
    assert [line for line in lines if "CHIBO_REQUIRE_BROWSER=1: Browser tests need" in line]
