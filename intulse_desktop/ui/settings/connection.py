"""The Connection tab: where events come from, the webhook URLs and their secret, the Intulse
account (register, list, delete webhooks), a test delivery, and what became of recent deliveries.

Every action first applies what was edited, so it acts on what the dialog shows; its result is
shown in words on the tab, never in an error box.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from intulse_desktop.bus import Delivery
from intulse_desktop.popups import Decision
from intulse_desktop.secrets import SecretsError, SecretStore
from intulse_desktop.service import ReceiverError, Service
from intulse_desktop.settings import Settings
from intulse_desktop.store import Store
from intulse_desktop.ui.settings.account import AccountBox, ApplyPending, Run
from intulse_desktop.ui.settings.deliveries import DeliveriesBox, DeliveryTestBox
from intulse_desktop.ui.settings.form import Page
from intulse_desktop.ui.settings.receiving import ReceiverBox, SourceBox, UrlsBox


class ConnectionPage(Page):
    title = "Connection"

    def __init__(
        self,
        service: Service,
        secrets: SecretStore,
        saved: Callable[[], Settings],
        store: Store,
        decisions: Iterable[tuple[Delivery, Decision]],
        apply_pending: ApplyPending,
        run: Run,
    ) -> None:
        """``saved``: the settings in force; ``decisions``: this run's pop-up decisions (live)."""
        super().__init__()
        self.confirm: QMessageBox | None = None
        self.source = SourceBox(secrets)
        self.receiver = ReceiverBox(service)
        self.webhooks = UrlsBox(service, secrets, saved, self._confirm)
        self.account = AccountBox(service, secrets, saved, apply_pending, run, self._confirm)
        self.recent = DeliveriesBox(store, decisions)
        self.tester = DeliveryTestBox(service, saved, apply_pending, run, self.recent.refresh_deliveries)
        self.add_parts(self.source, self.receiver, self.webhooks, self.account, self.tester, self.recent)
        # the fields by name, as the dialog's tests reach them
        source, receiver, webhooks, account = self.source, self.receiver, self.webhooks, self.account
        self.from_hub, self.hub_url, self.hub_token = source.from_hub, source.hub_url, source.hub_token
        self.host, self.port, self.public_url = receiver.host, receiver.port, receiver.public_url
        self.urls, self.urls_note, self.regenerate = webhooks.urls, webhooks.urls_note, webhooks.regenerate
        self.api_key, self.key_note, self.account_result = (
            account.api_key,
            account.key_note,
            account.account_result,
        )
        self.register, self.list, self.delete = account.register, account.list, account.delete
        self.registrations = account.registrations
        self.test, self.test_result = self.tester.test, self.tester.test_result
        self.deliveries, self.refresh = self.recent.deliveries, self.recent.refresh
        self._lay_out()

    def _lay_out(self) -> None:
        """Where from and the account side by side; the URLs and the deliveries under them."""
        left = QVBoxLayout()
        for box in (self.source, self.receiver):
            left.addWidget(box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.account)
        right.addWidget(self.tester)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addLayout(columns)
        layout.addWidget(self.webhooks)
        layout.addWidget(self.recent, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    # --- the secrets (stored in the keyring, not in the settings) -------------------------

    def load(self, settings: Settings) -> None:
        super().load(settings)
        refusals = []
        for secret in (self.api_key, self.hub_token):
            try:
                secret.read()
            except SecretsError as exc:
                refusals.append(str(exc))
        if refusals:
            self.account_result.setText(refusals[0])

    def pending(self) -> bool:
        return self.api_key.pending() or self.hub_token.pending()

    def commit(self) -> None:
        self.api_key.commit()
        self.hub_token.commit()

    # --- for the dialog -------------------------------------------------------------------

    def has_api_key(self) -> bool:
        return self.account.has_api_key()

    def receiver_failed(self, error: ReceiverError, host: str, port: int) -> str:
        return self.receiver.receiver_failed(error, host, port)

    def refresh_deliveries(self) -> None:
        self.recent.refresh_deliveries()

    def set_busy(self, busy: bool, valid: bool) -> None:
        """Actions wait for the one under way; those that apply first also for a valid form."""
        self.account.set_busy(busy, valid)
        self.tester.set_busy(busy, valid)
        self.regenerate.setEnabled(not busy)

    def showEvent(self, event: QShowEvent) -> None:
        self.recent.poll.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.recent.poll.stop()
        super().hideEvent(event)

    def _confirm(
        self,
        icon: QMessageBox.Icon,
        title: str,
        text: str,
        button: tuple[str, QMessageBox.ButtonRole],
        then: Callable[[], None],
    ) -> None:
        """Ask first, without a modal ``exec()``: ``then`` runs only if ``button`` is clicked."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Cancel, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        yes = box.addButton(*button)
        box.buttonClicked.connect(lambda clicked: then() if clicked is yes else None)
        self.confirm = box
        box.open()
