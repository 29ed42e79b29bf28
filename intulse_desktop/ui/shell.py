"""The whole GUI: the ``Desktop`` plus the windows opened from its tray (the call log, Settings,
the set-up assistant, About).

These windows are given what they use of the ``Desktop`` and hear its ``changed`` and
``delivered`` signals; it does not know them, so they are opened from here, on top of it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from intulse_desktop import __version__
from intulse_desktop.bus import Delivery
from intulse_desktop.popups import Decision
from intulse_desktop.ui.calllog import CallLogActions, CallLogWindow
from intulse_desktop.ui.desktop import Desktop
from intulse_desktop.ui.settings import SettingsDialog
from intulse_desktop.ui.setup import SetupAssistant, Wiring, wanted_at_start


class Shell(Desktop):
    def start(self) -> None:
        self.tray.open_log.connect(self.show_call_log)
        self.tray.open_settings.connect(self.show_settings)
        self.tray.open_setup.connect(self.show_setup)
        self.tray.show_about.connect(self.show_about)
        super().start()
        if wanted_at_start(self.settings):
            self.show_setup()

    def woken(self) -> None:
        """A second launch: the call log, and the tray's stand-in window where there is no tray."""
        self.tray.bring_back()
        self.show_call_log()

    def show_call_log(self) -> None:
        self.show_window("log", self.new_call_log)

    def show_settings(self) -> None:
        self.show_window("settings", self.new_settings_dialog)

    def show_about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About Intulse Desktop", "")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"Intulse Desktop {__version__}\n\n"
            "Caller-ID pop-ups, your phone's state and a call log from Intulse webhooks.\n\n"
            f"Your data: {self.paths.data_dir}"
        )
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def show_setup(self) -> None:
        self.show_window("setup", self.new_setup_assistant)

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

    def new_setup_assistant(self) -> SetupAssistant:
        """The first-run assistant, wired to this desktop (``show_setup`` shows the one kept)."""
        wiring = Wiring(
            saved=lambda: self.settings,
            apply_settings=self.apply_settings,
            save_settings=self.save_settings,
            service=self.service,
            secrets=self.secrets,
            show_sample=self.show_sample,
            tunnel=lambda: self.tunnel,
            changed=self.changed,
        )
        return SetupAssistant(wiring, self.tasks)

    def show_sample(self, delivery: Delivery) -> Decision:
        """Hand ``delivery`` to the GUI as if it had arrived (it is not stored); what was decided."""
        self.on_delivery(delivery)
        return self.decisions[-1][1]
