"""The whole GUI: the ``Desktop`` plus the call log and settings windows opened from its tray.

These windows are given the ``Desktop`` and know it; it does not know them, so
they are opened from here, on top of it.
"""

from __future__ import annotations

from intulse_desktop.ui.calllog import CallLogWindow
from intulse_desktop.ui.desktop import Desktop
from intulse_desktop.ui.settings_dialog import SettingsDialog


class Shell(Desktop):
    def start(self) -> None:
        self.tray.open_log.connect(self.show_call_log)
        self.tray.open_settings.connect(self.show_settings)
        super().start()

    def show_call_log(self) -> None:
        self.show_window("log", lambda: CallLogWindow(self))

    def show_settings(self) -> None:
        self.show_window("settings", lambda: SettingsDialog(self))
