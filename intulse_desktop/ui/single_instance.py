"""One app per user and data folder: a second launch wakes the first and leaves.

The socket must not be another user's to take: a name in the shared /tmp (where
Qt puts a bare name) could be listened on first by anyone, and the app would
then wake them and quit at every start. So on POSIX the socket is a path in a
folder only this user can write (the per-user runtime folder, else the data
folder), and each side checks the other's user id where the platform tells it
(Linux, the BSDs and macOS); Windows keeps a per-user pipe name, reachable by
this user only (``UserAccessOption``).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import socket
import stat
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from intulse_desktop.paths import Paths

WAKE = b"show-call-log\n"
TIMEOUT_MS = 1000
MAX_SOCKET_PATH = 100  # a Unix socket's path fits 104 bytes on macOS, 108 on Linux


def server_name(paths: Paths) -> str:
    """Per user and per data folder, so a ``--data-dir`` instance is an instance of its own; on
    POSIX a path in a folder that only this user can write."""
    key = f"{getpass.getuser()}:{paths.data_dir}".encode()
    name = "intulse-desktop-" + hashlib.sha256(key).hexdigest()[:16]
    if sys.platform == "win32":
        return name
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    for folder in (Path(runtime) if runtime else None, paths.data_dir):
        if folder is not None and _private(folder) and len(os.fsencode(folder / name)) <= MAX_SOCKET_PATH:
            return str(folder / name)
    return name  # in /tmp after all: the user-id checks are what is left


def _private(folder: Path) -> bool:
    try:
        info = folder.stat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def peer_uid(descriptor: int) -> int | None:
    """The user id of the process at the other end of a Unix socket, where the platform says."""
    if descriptor < 0 or sys.platform == "win32":
        return None
    with contextlib.suppress(OSError), socket.fromfd(descriptor, socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        if hasattr(socket, "SO_PEERCRED"):  # Linux: pid, uid, gid
            _, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
            return int(uid)
        if sys.platform == "darwin" or "bsd" in sys.platform:  # LOCAL_PEERCRED: struct xucred
            version, uid = struct.unpack("2I", sock.getsockopt(0, 0x001, 76)[:8])
            return int(uid) if version == 0 else None
    return None


def _same_user(descriptor: int, user_id: int | None) -> bool:
    """False only when the platform tells the peer's user and it is another one."""
    if user_id is None:
        return True
    uid = peer_uid(descriptor)
    return uid is None or uid == user_id


def _this_user() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def wake_running(name: str, user_id: int | None = None) -> bool:
    """Ask a running instance of this user (``user_id``, by default this process's) to show
    itself; False if none answers, or if what answers is another user's."""
    user_id = _this_user() if user_id is None else user_id
    local = QLocalSocket()
    local.connectToServer(name)
    if not local.waitForConnected(TIMEOUT_MS):
        return False
    if not _same_user(int(local.socketDescriptor()), user_id):
        local.abort()
        return False
    local.write(WAKE)
    local.flush()
    local.waitForBytesWritten(TIMEOUT_MS)
    local.disconnectFromServer()
    return True


class SingleInstance(QObject):
    """Listens for later launches of this user (``user_id``); ``woken`` fires when one asks to be shown."""

    woken = Signal()

    def __init__(self, name: str, user_id: int | None = None) -> None:
        super().__init__()
        self._user_id = _this_user() if user_id is None else user_id
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self._server.listen(name):
            QLocalServer.removeServer(name)  # left behind by a crash: nobody answered on it
            self._server.listen(name)
        self._server.newConnection.connect(self._accept)

    def _accept(self) -> None:
        # The caller writes its one line at once, so a short blocking read is simplest:
        # no per-socket signal handlers to outlive their sockets.
        while (local := self._server.nextPendingConnection()) is not None:
            ours = _same_user(int(local.socketDescriptor()), self._user_id)
            readable = ours and (local.bytesAvailable() or local.waitForReadyRead(TIMEOUT_MS))
            if readable and bytes(local.readAll().data()).startswith(WAKE.strip()):
                self.woken.emit()
            local.close()
            local.deleteLater()

    def close(self) -> None:
        self._server.close()
