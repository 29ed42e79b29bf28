"""Set-up, page 3: the Intulse account. Settings' own account box: the API key (kept in the
keyring) and Register webhooks, with each event type's result."""

from __future__ import annotations

from collections.abc import Callable

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
            wiring.service, wiring.secrets, wiring.saved, self.save_pending, run, self._confirm
        )
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

    def _confirm(
        self,
        icon: QMessageBox.Icon,
        title: str,
        text: str,
        button: tuple[str, QMessageBox.ButtonRole],
        then: Callable[[], None],
    ) -> None:
        self.confirm = ask(self, icon, title, text, button, then)
