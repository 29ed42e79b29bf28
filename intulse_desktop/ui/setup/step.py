"""One page of the set-up assistant: Settings' own forms, checked as Settings checks them, and
saved when the user goes on with Next (never when they skip).

Saving may rebind the receiver or connect to a hub, so it runs as a task on the app's loop:
Next starts it, and the assistant moves on by itself once it is done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QVBoxLayout, QWidget, QWizardPage

from intulse_desktop.bus import Delivery
from intulse_desktop.popups import Decision
from intulse_desktop.secrets import SecretsError, SecretStore
from intulse_desktop.service import ReceiverError, Service
from intulse_desktop.settings import Settings
from intulse_desktop.tunnel.manager import ManagedTunnel
from intulse_desktop.ui.settings.form import Form, judge, outcome

Run = Callable[[Coroutine[Any, Any, None], str], None]  # a job and what it does, one at a time


@dataclass(frozen=True)
class Wiring:
    """What the assistant uses of the running app (the ``Desktop``)."""

    saved: Callable[[], Settings]  # the settings in force
    apply_settings: Callable[[Settings], Awaitable[None]]  # rebind if need be, save, take effect
    save_settings: Callable[[Settings], None]  # save what needs no rebinding
    service: Service
    secrets: SecretStore
    show_sample: Callable[[Delivery], Decision]  # hand an event to the GUI as if it had arrived
    tunnel: Callable[[], ManagedTunnel | None]  # the tunnel the app runs now (ui/tunnel_status.py)
    changed: SignalInstance  # Desktop.changed: a Change (the tunnel started, stopped or moved, …)

    def reached(self) -> Settings:
        """The settings in force, the public URL being the tunnel's address while it has one
        (where Register webhooks and Test delivery go)."""
        tunnel = self.tunnel()
        address = tunnel.address if tunnel is not None else None
        saved = self.saved()
        return saved.model_copy(update={"public_url": address}) if address else saved


class Step(QWizardPage):
    """``forms``: Settings' forms (or ones made like them) this page shows and saves."""

    def __init__(self, title: str, subtitle: str, wiring: Wiring, run: Run, forms: list[Form]) -> None:
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.wiring = wiring
        self.run = run
        self.forms = forms
        self.busy = False
        self.skipping = False  # Skip: go on without saving
        self.candidate: Settings | None = None  # what the fields come to, when nothing is refused
        self.problems: dict[str, str] = {}
        self._saved_now = False  # saved by Next's task: the next validatePage lets the wizard go on
        self.status = outcome()  # why saving failed
        self.body = QVBoxLayout(self)
        for form in forms:
            form.edited.connect(self.validate)

    def add(self, widget: QWidget, stretch: int = 0) -> None:
        self.body.addWidget(widget, stretch)

    def initializePage(self) -> None:
        for form in self.forms:
            form.load(self.wiring.saved())
        self.status.clear()
        self.validate()

    def validate(self) -> None:
        candidate, problems = judge(self.wiring.saved(), self.forms)
        for form in self.forms:
            form.show_problems(problems)
            form.preview(candidate)
        self.problems = problems
        self.candidate = None if problems else candidate
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.candidate is not None and not self.busy

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.completeChanged.emit()

    def changed(self) -> bool:
        return self.candidate != self.wiring.saved() or any(form.pending() for form in self.forms)

    def validatePage(self) -> bool:
        if self.skipping or self._saved_now:
            self.skipping = self._saved_now = False
            return True
        self.validate()  # over the settings in force now: Settings or the tray may have changed them
        if self.candidate is None:
            return False
        if not self.changed():
            return True
        self.run(self._save_then_next(), "save a set-up step")
        return False

    async def _save_then_next(self) -> None:
        if await self.save():
            self._saved_now = True
            wizard = self.wizard()
            if wizard is not None and wizard.currentPage() is self:
                wizard.next()

    async def save(self) -> bool:
        """Save what the page shows, once its check passed (the secrets before the settings: a hub
        connection reads its token);
        False, with the reason shown, if it could not be."""
        candidate = self.candidate
        if candidate is None:
            return False
        self.status.setText("Saving…")
        try:
            settings = await self.adjusted(candidate)
            for form in self.forms:
                form.commit()
            await self.wiring.apply_settings(settings)
        except ReceiverError as exc:
            self.status.setText(f"Not saved: {exc.strerror}. Choose another port in Settings → Connection.")
            return False
        except (SecretsError, OSError) as exc:
            self.status.setText(f"Not saved: {exc}")
            return False
        except Refused as exc:
            self.status.setText(str(exc))
            return False
        self.status.setText("Saved.")
        self.validate()
        return True

    async def adjusted(self, candidate: Settings) -> Settings:
        """The settings to save; a page may check something first (raise ``Refused`` to stop)."""
        return candidate

    async def save_pending(self) -> bool:
        """For an action on the page (register, test): save what was edited first, if anything."""
        self.validate()
        if self.candidate is None:
            return False
        return await self.save() if self.changed() else True


class Refused(Exception):
    """A page's check said no: the message is shown as it is."""
