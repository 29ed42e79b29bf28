"""The tray app that cannot start says why in a window (autostart shows nobody its stderr),
and offers to open the folder that holds the broken file."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox

from intulse_desktop.cli import main

from .helpers.finders import button


class FolderOpener(QObject):
    """Stands in for the file manager: records each folder the app asks it to show."""

    def __init__(self) -> None:
        super().__init__()
        self.folders: list[str] = []

    @Slot(QUrl)
    def show(self, url: QUrl) -> None:
        self.folders.append(url.toLocalFile())


@pytest.fixture
def opened(qapp, restore_logging):
    opener = FolderOpener()
    QDesktopServices.setUrlHandler("file", opener, "show")
    yield opener.folders
    QDesktopServices.unsetUrlHandler("file")


def answer(choice: str) -> list[str]:
    """Press ``choice`` in the message box the app is about to show; what it said, once shown."""
    said: list[str] = []

    def press() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        said.append(f"{box.text()}\n{box.informativeText()}")
        button(box, choice).click()

    QTimer.singleShot(0, press)
    return said


def test_a_broken_settings_file_is_said_in_a_window_that_opens_its_folder(paths, opened, capsys):
    paths.settings_file.write_text("{not json", encoding="utf-8")
    said = answer("Open folder")
    assert main([]) == 2
    [text] = said
    assert f"settings file {paths.settings_file} is not valid JSON" in text
    assert opened == [str(paths.config_dir)]
    assert "is not valid JSON" in capsys.readouterr().err  # and on stderr, as before


def test_a_damaged_secrets_file_is_said_in_a_window_too(paths, opened):
    paths.secrets_file.write_text("{damaged", encoding="utf-8")
    said = answer("Close")
    assert main([]) == 2
    [text] = said
    assert f"{paths.secrets_file} is damaged" in text
    assert opened == []


def test_a_broken_settings_file_shows_no_window_for_a_command(paths, opened, capsys):
    paths.settings_file.write_text("{not json", encoding="utf-8")
    assert main(["calls"]) == 2
    assert QApplication.activeModalWidget() is None
    assert "is not valid JSON" in capsys.readouterr().err
