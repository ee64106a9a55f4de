"""The SQLite store is private (issue 11, item 6): the folder the service creates is 0700, the database file and
the files beside it (WAL, shared memory, migration lock) 0600, whatever the umask; existing ones keep their mode."""

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, LiveServer

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite files")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_folder_and_files_the_service_creates_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    server = LiveServer(f"sqlite+aiosqlite:///{folder / 'route53.db'}", tmp_path).start()
    try:
        server.client("route53").create_hosted_zone(Name="private.example", CallerReference="private")
        files = {path.name: mode(path) for path in folder.iterdir()}
    finally:
        server.stop()

    assert mode(folder) == 0o700
    assert files == {
        "route53.db": 0o600,
        "route53.db-wal": 0o600,
        "route53.db-shm": 0o600,
        "route53.db.migrate-lock": 0o600,
        "route53.db.master-key": 0o600,  # app.secrets: the generated master key
    }


def test_an_existing_folder_and_file_keep_their_modes(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    database = folder / "route53.db"
    database.touch()
    os.chmod(database, 0o640)
    server = LiveServer(f"sqlite+aiosqlite:///{database}", tmp_path).start()
    server.stop()

    assert (mode(folder), mode(database)) == (0o755, 0o640)
