"""The tray app's wiring: one qasync loop, the same service as ``--headless``, the GUI on top.

Widgets are built inside ``main`` (qasync issue #121); quitting from the menu,
SIGTERM, SIGINT or the session ending all set one event, and the receiver and
the log close before the loop ends.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import qasync
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox

from intulse_desktop import APP_NAME, __version__
from intulse_desktop.headless import stop_on_signals
from intulse_desktop.logs import setup_logging
from intulse_desktop.paths import Paths
from intulse_desktop.secrets import CARDDAV_PASSWORD, SecretStore
from intulse_desktop.service import ReceiverError, Service
from intulse_desktop.settings import Settings
from intulse_desktop.store import StoreError
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.icons import app_icon
from intulse_desktop.ui.shell import Shell
from intulse_desktop.ui.single_instance import SingleInstance, server_name, wake_running
from intulse_desktop.ui.tunnel_status import TunnelKeeper

log = logging.getLogger(__name__)


def run_gui(
    paths: Paths, settings: Settings, secrets: SecretStore, listen: tuple[str, int], verbose: bool
) -> int:
    """The tray app, receiving on ``listen`` (host, port) unless Settings say from an office hub."""
    # qasync.run is asyncio.run(main, loop_factory=QEventLoop) on Python 3.12+, and its
    # equivalent on 3.11; it makes the QApplication.
    code: int = qasync.run(main(paths, settings, secrets, listen, verbose))
    return code


async def main(
    paths: Paths, settings: Settings, secrets: SecretStore, listen: tuple[str, int], verbose: bool
) -> int:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("Intulse Desktop")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)  # matches the .desktop file on Linux
    app.setQuitOnLastWindowClosed(False)  # a tray app decides itself when to quit
    app.setWindowIcon(app_icon())

    paths = paths.ensure()
    name = server_name(paths)
    if wake_running(name):
        log.info("already running: showed its call log")
        return 0
    instance = SingleInstance(name)
    setup_logging(secrets.redactor, "DEBUG" if verbose else settings.log_level, paths.log_file)

    service = Service(
        paths, settings, secrets.webhook_secret(), carddav_password=lambda: secrets.get(CARDDAV_PASSWORD)
    )
    try:
        await service.start()
    except StoreError as exc:
        QMessageBox.critical(None, "Intulse Desktop cannot start", str(exc))
        return 1
    tasks = Tasks(asyncio.get_running_loop())
    desktop = Shell(service, paths, tasks, secrets)
    stop = stop_on_signals()
    desktop.quit_requested.connect(stop.set)
    app.aboutToQuit.connect(stop.set)  # logout, or the session manager asking
    instance.woken.connect(desktop.woken)
    tunnel = TunnelKeeper(desktop)
    try:
        try:
            if settings.receive_from == "hub":
                await desktop.receive_from_hub()  # the receiver stays off
            else:
                await service.receive_locally(*listen)
        except ReceiverError as exc:
            log.error("%s", exc)
            desktop.set_receiver_problem(f"{exc.strerror}. Open Settings to choose another port.")
        desktop.start()
        await tunnel.start()
        await stop.wait()
    finally:
        await tunnel.stop()
        desktop.close()
        instance.close()
        await tasks.wait()
        await service.close()
    return 0


def show_start_problem(problem: str, folder: Path) -> None:
    """Say why the tray app cannot start, in a window (started at login, its stderr is seen by
    nobody), and offer to open the folder that holds the broken file."""
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    box = QMessageBox(QMessageBox.Icon.Critical, "Intulse Desktop cannot start", problem)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText(f"Fix or remove the file in {folder}, then start Intulse Desktop again.")
    open_folder = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()  # nothing else runs yet: no event loop of ours to block
    if box.clickedButton() is open_folder:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
