"""The whole GUI: the ``Desktop`` plus the call log and settings windows opened from its tray.

These windows are given what they use of the ``Desktop`` and hear its ``changed`` and
``delivered`` signals; it does not know them, so they are opened from here, on top of it.
"""

from __future__ import annotations

from intulse_desktop.ui.calllog import CallLogActions, CallLogWindow
from intulse_desktop.ui.desktop import Desktop
from intulse_desktop.ui.settings import SettingsDialog


class Shell(Desktop):
    def start(self) -> None:
        self.tray.open_log.connect(self.show_call_log)
        self.tray.open_settings.connect(self.show_settings)
        super().start()

    def woken(self) -> None:
        """A second launch: the call log, and the tray's stand-in window where there is no tray."""
        self.tray.bring_back()
        self.show_call_log()

    def show_call_log(self) -> None:
        self.show_window("log", self.new_call_log)

    def show_settings(self) -> None:
        self.show_window("settings", self.new_settings_dialog)

    def new_call_log(self) -> CallLogWindow:
        """A call log window, wired to this desktop (``show_call_log`` shows the one kept)."""
        window = CallLogWindow(
            self.store,
            lambda: self.settings,
            self.tasks,
            self.paths.database,
            self.fetcher,
            CallLogActions(
                actions=self.actions,
                show_caller=self.show_caller,
                play_recording=self.play_recording,
                play_audio=self.show_recording,
                open_url=self.open_url,
                mark_seen=self.mark_seen,
                text_sender=self.text_sender,
                menu=self.tray.menu,
                import_contacts=self.contacts.ask_import,
            ),
        )
        self.delivered.connect(window.on_delivery)
        self.changed.connect(window.on_changed)
        return window

    def new_settings_dialog(self) -> SettingsDialog:
        """A settings dialog, wired to this desktop (``show_settings`` shows the one kept)."""
        dialog = SettingsDialog(
            lambda: self.settings,
            self.apply_settings,
            self.tasks,
            self.service,
            self.secrets,
            self.paths,
            self.store,
            self.decisions,
            lambda kind, volume: self.sounds.play(kind, volume),
            self.open_folder,
            self.contacts.ask_import,
        )
        self.changed.connect(dialog.on_changed)
        self.delivered.connect(dialog.on_delivered)
        return dialog
