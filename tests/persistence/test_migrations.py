"""Alembic migrations run forward and back, and the models match them (``alembic check``)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def alembic(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "R53_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_upgrade_downgrade_upgrade_and_check(database_url: str) -> None:
    for step in (("downgrade", "base"), ("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head")):
        result = alembic(database_url, *step)
        assert result.returncode == 0, result.stderr
    result = alembic(database_url, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_migrate_command_creates_the_database_folder(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "folder" / "route53.db"
    env = {**os.environ, "R53_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    result = subprocess.run(
        [sys.executable, "-m", "app", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert database.exists()
    check = alembic(f"sqlite+aiosqlite:///{database}", "current")
    assert "(head)" in check.stdout


def test_concurrent_migrations_wait_for_one_another(empty_database_url: str) -> None:
    """Replicas starting together: one migrates, the others wait, every one ends at head."""
    env = {**os.environ, "R53_DATABASE_URL": empty_database_url}
    processes = [
        subprocess.Popen([sys.executable, "-m", "app", "migrate"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    assert "(head)" in alembic(empty_database_url, "current").stdout
