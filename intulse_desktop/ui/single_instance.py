"""One app per user and data folder: a second launch wakes the first and leaves."""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from intulse_desktop.paths import Paths

WAKE = b"show-call-log\n"
TIMEOUT_MS = 1000


def server_name(paths: Paths) -> str:
    """Per user and per data folder, so a ``--data-dir`` instance is an instance of its own."""
    key = f"{getpass.getuser()}:{paths.data_dir}".encode()
    return "intulse-desktop-" + hashlib.sha256(key).hexdigest()[:16]


def wake_running(name: str) -> bool:
    """Ask a running instance to show itself; False if none answers."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(TIMEOUT_MS):
        return False
    socket.write(WAKE)
    socket.flush()
    socket.waitForBytesWritten(TIMEOUT_MS)
    socket.disconnectFromServer()
    return True


class SingleInstance(QObject):
    """Listens for later launches; ``woken`` fires when one asks to be shown."""

    woken = Signal()

    def __init__(self, name: str) -> None:
        super().__init__()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self._server.listen(name):
            QLocalServer.removeServer(name)  # left behind by a crash: nobody answered on it
            self._server.listen(name)
        self._server.newConnection.connect(self._accept)

    def _accept(self) -> None:
        # The caller writes its one line at once, so a short blocking read is simplest:
        # no per-socket signal handlers to outlive their sockets.
        while (socket := self._server.nextPendingConnection()) is not None:
            readable = socket.bytesAvailable() or socket.waitForReadyRead(TIMEOUT_MS)
            if readable and bytes(socket.readAll().data()).startswith(WAKE.strip()):
                self.woken.emit()
            socket.close()
            socket.deleteLater()

    def close(self) -> None:
        self._server.close()
