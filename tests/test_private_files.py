"""What the app creates is readable by this user alone: umask 077, folders 0700."""

from __future__ import annotations

import asyncio
import logging
import stat
from pathlib import Path

import aiohttp
import pytest

from intulse_desktop import cli
from intulse_desktop.logs import Redactor, setup_logging
from intulse_desktop.paths import Paths

from .helpers.builders import payload
from .helpers.process import Headless


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def deliver(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.post(url, json=payload("CallStarted")) as response:
        return response.status


@pytest.mark.slow
def test_the_call_log_its_wal_and_shm_are_created_0600_in_a_0700_folder(home):
    server = Headless(home)
    try:
        assert asyncio.run(deliver(server.url("CallStarted"))) == 200
        database = Paths.resolve(home).database
        files = [database] + [database.with_name(database.name + suffix) for suffix in ("-wal", "-shm")]
        assert {path.name: mode(path) for path in files} == dict.fromkeys(
            (path.name for path in files), 0o600
        )
        assert mode(home) == 0o700
    finally:
        server.close()


def test_the_hub_users_file_is_created_0600(home, restore_logging):
    assert cli.main(["hub", "add-user", "--extension", "204"]) == 0
    assert mode(Paths.resolve(home).hub_users) == 0o600


def test_the_app_log_is_created_0600_after_the_command_line_starts(tmp_path, restore_logging):
    assert cli.main(["config", "list"]) == 0  # as the tray app starts: cli.main, then the log
    setup_logging(Redactor(), "INFO", tmp_path / "app.log")
    logging.getLogger("test").warning("a line")
    assert mode(tmp_path / "app.log") == 0o600


def test_an_existing_data_folder_open_to_others_is_made_0700(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    Paths.resolve(folder).ensure()
    assert mode(folder) == 0o700
    assert mode(folder / "cache") == 0o700


def test_a_folder_that_cannot_be_made_private_is_warned_about(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)

    def refuse(self, mode):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(Path, "chmod", refuse)
    Paths.resolve(folder).ensure()
    assert f"{folder} stays readable by other users: Operation not permitted" in caplog.text
