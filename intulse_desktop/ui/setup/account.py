"""Set-up, page 3: the Intulse account. Settings' own account box: the API key (kept in the
keyring) and Register webhooks, with each event type's result."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox

from intulse_desktop.secrets import SecretsError
from intulse_desktop.ui.settings.account import AccountBox
from intulse_desktop.ui.settings.form import ask, note
from intulse_desktop.ui.setup.step import Run, Step, Wiring

FROM_HUB = (
    "This computer receives from an office hub: the hub's administrator registers the webhooks "
    "there, so there is nothing to do here. An API key is still used for click-to-call."
)


class AccountStep(Step):
    def __init__(self, wiring: Wiring, run: Run) -> None:
        self.account = AccountBox(
            wiring.service, wiring.secrets, wiring.reached, self.save_pending, run, self._confirm
        )
        self.account.register.clicked.disconnect()
        self.account.register.clicked.connect(lambda: run(self.register(), "register webhooks"))
        super().__init__(
            "Intulse account",
            "With an API key from the Intulse portal this app registers its four webhook URLs with "
            "Intulse itself. Settings → Connection holds the same.",
            wiring,
            run,
            [self.account],
        )
        self.from_hub = note(FROM_HUB)
        self.confirm: QMessageBox | None = None
        self.add(self.from_hub)
        self.add(self.account)
        self.add(self.status)
        self.body.addStretch(1)

    def initializePage(self) -> None:
        super().initializePage()
        self.from_hub.setVisible(self.wiring.saved().receive_from == "hub")
        try:
            self.account.api_key.read()
        except SecretsError as exc:
            self.account.account_result.setText(str(exc))
        self.validate()

    def set_busy(self, busy: bool) -> None:
        super().set_busy(busy)
        self.account.set_busy(busy, valid=self.candidate is not None)

    def validate(self) -> None:
        super().validate()
        self.account.set_busy(self.busy, valid=self.candidate is not None)

    async def register(self) -> None:
        """Register at the public URL, as Settings does; at the tunnel's address through the
        tunnel, which remembers it, to delete those registrations when its address changes."""
        tunnel = self.wiring.tunnel()
        if tunnel is None or tunnel.address is None:
            await self.account.register_webhooks()
            return
        result = self.account.account_result
        result.setText(f"Registering at {tunnel.address}…")
        if not await self.save_pending():
            result.setText("Not registered: this page could not be saved (see below).")
            return
        said = await tunnel.reregister()
        result.setText("\n".join(f"{'✓' if ok else '✗'} {line}" for ok, line in said))

    def _confirm(self, *question: Any) -> None:
        """Settings' confirmation (``Confirm``), asked over this page."""
        self.confirm = ask(self, *question)
