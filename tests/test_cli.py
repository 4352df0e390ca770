"""The `chibo` command as an operator uses it, in a fresh working directory."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def chibo(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHIBO_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_names_the_setting(tmp_path: Path) -> None:
    result = chibo(tmp_path, "run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "chibo: error: CHIBO_BOT_TOKEN is not set: put the token from @BotFather in the "
        "environment or in a .env file"
    ]
    assert "Traceback" not in result.stderr


def test_invalid_setting_is_one_line(tmp_path: Path) -> None:
    result = chibo(tmp_path, "run", CHIBO_TIMEZONE="Mars/Olympus")
    assert result.returncode == 2
    assert "CHIBO_TIMEZONE" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_creates_the_default_sqlite_file(tmp_path: Path) -> None:
    result = chibo(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "chibo.db") as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
    assert {"organisation", "cell", "person", "membership", "outbox", "invite"} <= tables


def test_org_create_prints_a_setup_link(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CHIBO_BOT_USERNAME=chibo_test_bot\n")
    result = chibo(tmp_path, "org", "create", "Đảng bộ Văn phòng", "--cutoff-day", "5")
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip().splitlines()[-1]
    assert link.startswith("https://t.me/chibo_test_bot?start=")
    token = link.split("start=")[1]
    with sqlite3.connect(tmp_path / "chibo.db") as connection:
        name, cutoff = connection.execute("select name, cutoff_day from organisation").fetchone()
        purpose, max_uses = connection.execute(
            "select purpose, max_uses from invite where token = ?", (token,)
        ).fetchone()
    assert (name, cutoff) == ("Đảng bộ Văn phòng", 5)
    assert (purpose, max_uses) == ("org_setup", 1)


def test_org_create_refuses_an_impossible_cutoff_day(tmp_path: Path) -> None:
    result = chibo(
        tmp_path, "org", "create", "X", "--cutoff-day", "31", CHIBO_BOT_USERNAME="chibo_test_bot"
    )
    assert result.returncode == 2
    assert "Cutoff day 31 is not valid: choose 1 to 28." in result.stderr
