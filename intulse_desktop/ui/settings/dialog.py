"""Settings (tray → Settings…): every field checked as it is typed, with the reason beside it.

OK and Apply stay disabled while anything is refused. Applying runs as a task on the app's
loop (never ``exec()``): a new host or port is bound first, and if that fails the dialog says
why and the receiver keeps its old address; only then are the settings saved (atomically) and
the secrets and the login item stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QStyle, QTabWidget, QVBoxLayout, QWidget

from intulse_desktop.bus import Delivery
from intulse_desktop.paths import Paths
from intulse_desktop.popups import Decision
from intulse_desktop.secrets import SecretsError, SecretStore
from intulse_desktop.service import ReceiverError, Service
from intulse_desktop.settings import Settings
from intulse_desktop.store import Store
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.a11y import label_fields
from intulse_desktop.ui.screens import fit_on_screen, scrolled
from intulse_desktop.ui.settings.connection import ConnectionPage
from intulse_desktop.ui.settings.contacts import ContactsBox, ContactsPage
from intulse_desktop.ui.settings.form import Page, Reason, judge, note
from intulse_desktop.ui.settings.general import GeneralPage
from intulse_desktop.ui.settings.integrations import IntegrationsPage
from intulse_desktop.ui.settings.me import MePage
from intulse_desktop.ui.settings.notifications import NotificationsPage, PlaySound

log = logging.getLogger(__name__)


class SettingsDialog(QDialog):
    """The six tabs, OK, Apply and Cancel; ``on_changed`` and ``on_delivered`` keep it current."""

    def __init__(
        self,
        saved: Callable[[], Settings],
        apply_settings: Callable[[Settings], Awaitable[None]],
        tasks: Tasks,
        service: Service,
        secrets: SecretStore,
        paths: Paths,
        store: Store,
        decisions: Iterable[tuple[Delivery, Decision]],
        play_sound: PlaySound,
        open_folder: Callable[[Path], None],
        import_contacts: Callable[[QWidget], None],
    ) -> None:
        """``saved``: the settings in force; ``apply_settings`` rebinds, saves and applies them
        (``Desktop.apply_settings``; raises ``ReceiverError`` or ``OSError``); ``store`` and
        ``decisions`` (this run's pop-up decisions, live) explain recent deliveries;
        ``import_contacts`` asks for a contacts file and imports it."""
        super().__init__(None)
        self._saved = saved
        self._apply_settings = apply_settings
        self.tasks = tasks
        self.setWindowTitle("Settings")  # the application name is added by Qt
        self.setModal(False)
        fit_on_screen(self, QSize(1120, 860))
        self.task: asyncio.Task[Any] | None = None
        self.candidate: Settings | None = None  # what the fields come to, when nothing is refused
        self.problems: dict[str, str] = {}
        self._loading = False

        def region() -> str:  # the default country in force
            return saved().default_region

        self.me = MePage(region)
        self.connection = ConnectionPage(
            service, secrets, saved, store, decisions, self.apply_pending, self.run
        )
        self.notifications = NotificationsPage(play_sound, region)
        self.integrations = IntegrationsPage(self.me.extension.text, self.connection.has_api_key)
        self.general = GeneralPage(paths, secrets.location, open_folder)
        self.contacts = ContactsPage(
            ContactsBox(
                store,
                secrets,
                service.contacts,
                import_contacts,
                self.apply_pending,
                self.run,
            )
        )
        self.pages: list[Page] = [
            self.me,
            self.connection,
            self.notifications,
            self.integrations,
            self.contacts,
            self.general,
        ]
        self.tabs = QTabWidget()
        for page in self.pages:
            self.tabs.addTab(scrolled(page), page.title)
            page.edited.connect(self.validate)

        self.unplaced = Reason()  # a refusal no single field owns
        self.status = note(selectable=True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.ok.clicked.connect(lambda: self.run(self._ok(), "save settings and close"))
        self.apply.clicked.connect(lambda: self.run(self._apply_now(), "apply settings"))
        self.buttons.rejected.connect(self.reject)
        for page in self.pages:
            label_fields(page, taken="oac")  # OK, Apply, Cancel
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.unplaced)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def showEvent(self, event: QShowEvent) -> None:
        if not event.spontaneous():  # opened (again): show what is saved, not what was cancelled
            self.load()
        super().showEvent(event)

    def load(self) -> None:
        self._loading = True
        try:
            for page in self.pages:
                page.load(self._saved())
        finally:
            self._loading = False
        self.status.setText("")
        self.validate()
        self.connection.refresh_deliveries()

    # --- checking ------------------------------------------------------------------------

    def validate(self) -> None:
        if self._loading:
            return
        candidate, problems = judge(self._saved(), self.pages)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        shown: set[str] = set()
        for index, page in enumerate(self.pages):
            count = page.show_problems(problems)
            self.tabs.setTabIcon(index, warning if count else QIcon())
            shown.update(page.reasons)
            page.preview(candidate)
        elsewhere = [
            f"{key}: {reason}" if key else reason for key, reason in problems.items() if key not in shown
        ]
        self.unplaced.say("; ".join(elsewhere))
        self.problems = problems
        self.candidate = None if problems else candidate
        self._enable()

    def dirty(self) -> bool:
        """Whether anything edited differs from what is saved."""
        return self.candidate is not None and (
            self.candidate != self._saved() or any(page.pending() for page in self.pages)
        )

    def _enable(self) -> None:
        idle = self.task is None or self.task.done()
        self.ok.setEnabled(idle and self.candidate is not None)
        self.apply.setEnabled(idle and self.dirty())
        self.connection.set_busy(not idle, valid=self.candidate is not None)
        self.contacts.box.set_busy(not idle, valid=self.candidate is not None)

    # --- applying ------------------------------------------------------------------------

    def run(self, job: Coroutine[Any, Any, None], what: str) -> None:
        """One thing at a time, as a task on the app's loop; the buttons wait for it."""
        if self.task is not None and not self.task.done():
            job.close()
            return
        self.task = self.tasks.spawn(job, what)
        self.task.add_done_callback(lambda _: self._enable())
        self._enable()

    async def apply_pending(self) -> bool:
        """Apply what was edited, if anything; False (with the reason shown) if it could not be."""
        if self.candidate is None:
            return False
        return await self.apply_settings() if self.dirty() else True

    async def apply_settings(self) -> bool:
        new = self.candidate
        assert new is not None
        old = self._saved()
        self.status.setText("Applying…")
        try:
            await self._apply_settings(new)
        except ReceiverError as exc:
            message = self.connection.receiver_failed(exc, new.listen_host, new.listen_port)
            self.status.setText(f"Not applied. {message}")
            self.tabs.setCurrentIndex(self.pages.index(self.connection))
            self.validate()
            return False
        except OSError as exc:
            self.status.setText(f"Not applied: the settings could not be saved ({exc}).")
            return False
        try:
            for page in self.pages:
                page.commit()
        except (SecretsError, OSError) as exc:
            self.status.setText(f"The settings are saved, but not everything else: {exc}")
            return False
        if new.log_level != old.log_level:
            logging.getLogger().setLevel(new.log_level)
        self.status.setText("Saved.")
        self.validate()
        return True

    async def _apply_now(self) -> None:
        await self.apply_settings()

    async def _ok(self) -> None:
        if await self.apply_pending():
            self.hide()

    # --- live ----------------------------------------------------------------------------

    def on_changed(self) -> None:
        # e.g. do-not-disturb from the tray: keep it, not ours; shown again, load() checks
        if self.isVisible():
            self.validate()
            self.contacts.box.refresh()

    def on_delivered(self, delivery: Delivery) -> None:
        if self.isVisible():
            self.connection.refresh_deliveries()
