"""The General tab: start at login, how long the log is kept, logging, and where everything is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QPushButton, QSizePolicy, QSpinBox

from intulse_desktop import autostart
from intulse_desktop.paths import Paths
from intulse_desktop.settings import Settings
from intulse_desktop.ui.settings.form import Page, note, top_left_form


class GeneralPage(Page):
    title = "General"

    def __init__(self, paths: Paths, secrets_location: str, open_folder: Callable[[Path], None]) -> None:
        super().__init__()
        self.autostart = QCheckBox("Start Intulse Desktop when I log in")
        self.retention = QSpinBox()
        self.retention.setRange(0, 36500)
        self.retention.setSpecialValueText("keep everything")
        self.retention.setSuffix(" days")
        self.log_level = QComboBox()
        self.log_level.addItem("Warnings and errors only", "WARNING")
        self.log_level.addItem("Normal", "INFO")
        self.log_level.addItem("Detailed, for troubleshooting", "DEBUG")
        self.open_data = QPushButton("Open data folder")
        self.open_data.clicked.connect(lambda: open_folder(paths.data_dir))

        form = top_left_form(self)
        form.addRow("", self.field("autostart", self.autostart))
        form.addRow("Keep the call log", self.field("retention_days", self.retention))
        form.addRow("Log", self.field("log_level", self.log_level, f"Written to {paths.log_file}"))
        form.addRow("Data folder", note(str(paths.data_dir), selectable=True))
        form.addRow("Settings file", note(str(paths.settings_file), selectable=True))
        form.addRow("Secrets", note(f"in {secrets_location}", selectable=True))
        form.addRow("", self.open_data)
        self.open_data.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def load(self, settings: Settings) -> None:
        self.autostart.setChecked(autostart.is_enabled())  # the login item itself is the setting
        self.retention.setValue(settings.retention_days or 0)
        self.log_level.setCurrentIndex(self.log_level.findData(settings.log_level))

    def values(self) -> dict[str, Any]:
        return {"retention_days": self.retention.value() or None, "log_level": self.log_level.currentData()}

    def pending(self) -> bool:
        return self.autostart.isChecked() != autostart.is_enabled()

    def commit(self) -> None:
        if self.pending():
            (autostart.enable if self.autostart.isChecked() else autostart.disable)()
