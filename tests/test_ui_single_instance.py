"""The single-instance socket: in a folder only this user can write, and obeyed only by this user."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from intulse_desktop.paths import Paths
from intulse_desktop.ui.single_instance import SingleInstance, peer_uid, server_name, wake_running

pytestmark = pytest.mark.posix  # Windows has pipes, reachable by this user only, and no user ids


@pytest.fixture
def runtime(monkeypatch):
    """A per-user runtime folder (``XDG_RUNTIME_DIR``) short enough for a socket's path."""
    folder = Path(tempfile.mkdtemp(prefix="rt-"))
    folder.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder)


def test_the_socket_is_in_the_users_own_runtime_folder(runtime):
    name = server_name(Paths.resolve())
    assert Path(name).parent == runtime
    assert Path(name).name.startswith("intulse-desktop-")


def test_a_runtime_folder_others_can_write_is_not_used(runtime, tmp_path, monkeypatch):
    runtime.chmod(0o777)
    short = Path(tempfile.mkdtemp(prefix="d-"))  # a data folder short enough for a socket's path
    short.chmod(0o700)
    try:
        name = server_name(Paths.resolve(short))
        assert Path(name).parent == short
        assert stat.S_IMODE(short.stat().st_mode) == 0o700
    finally:
        shutil.rmtree(short)


def test_the_first_instance_is_woken_through_the_private_socket(runtime, qtbot):
    name = server_name(Paths.resolve())
    first = SingleInstance(name)
    try:
        with qtbot.waitSignal(first.woken, timeout=3000):
            assert wake_running(name) is True
        assert stat.S_ISSOCK(os.stat(name).st_mode)
    finally:
        first.close()


def test_an_instance_of_another_user_is_neither_woken_nor_obeyed(runtime, qtbot):
    name = server_name(Paths.resolve())
    someone_else = os.getuid() + 1
    theirs = SingleInstance(name, user_id=someone_else)  # it hears only them: we are not them
    try:
        assert wake_running(name, user_id=someone_else) is False  # nor is what answers theirs, to us
        with qtbot.assertNotEmitted(theirs.woken, wait=300):
            assert wake_running(name) is True  # it answers as ours, and then ignores us
    finally:
        theirs.close()


def test_the_peer_of_a_unix_socket_is_told():
    import socket

    left, right = socket.socketpair()
    with left, right:
        assert peer_uid(left.fileno()) == os.getuid()
