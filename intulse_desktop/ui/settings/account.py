"""Connection tab, the Intulse account: the API key, and registering, listing and deleting the
webhooks there. Each action first applies what was edited, and says how it went in words."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidgetItem,
)

from intulse_desktop.intulse_api import (
    API_URL_ENV,
    ApiKeyError,
    ApiUnavailable,
    IntulseApi,
    Kind,
    Webhook,
    check_api_key,
)
from intulse_desktop.logs import redact_path
from intulse_desktop.receiver import webhook_urls
from intulse_desktop.secrets import API_KEY, API_KEY_ENV, SecretStore
from intulse_desktop.service import Service
from intulse_desktop.settings import Settings
from intulse_desktop.ui.settings.form import Section, note, outcome
from intulse_desktop.ui.settings.receiving import Confirm
from intulse_desktop.ui.settings.secret_field import SecretField
from intulse_desktop.ui.widgets import flat_tree

Run = Callable[[Coroutine[Any, Any, None], str], None]  # a job and what it does, one at a time
ApplyPending = Callable[[], Awaitable[bool]]  # apply what was edited; False if it could not be


class AccountBox(Section):
    def __init__(
        self,
        service: Service,
        secrets: SecretStore,
        saved: Callable[[], Settings],
        apply_pending: ApplyPending,
        run: Run,
        confirm: Confirm,
    ) -> None:
        super().__init__("Intulse account")
        self._service = service
        self._secrets = secrets
        self._saved = saved
        self._apply_pending = apply_pending
        self._run = run
        self._confirm = confirm
        self.api_key = SecretField(secrets, API_KEY, "from the Intulse portal")
        self.api_url = QLineEdit()
        self.register = QPushButton("Register webhooks")
        self.list = QPushButton("List registrations")
        self.delete = QPushButton("Delete selected")
        self.delete.setEnabled(False)
        self.account_result = outcome()
        self.registrations = flat_tree(["Event", "URL", "Whose", "Id"], stretch=1, fit=range(4))
        self.registrations.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.registrations.setMaximumHeight(130)
        self.registrations.hide()
        self.registrations.currentItemChanged.connect(self._selected)
        self.register.clicked.connect(lambda: self._run(self.register_webhooks(), "register webhooks"))
        self.list.clicked.connect(lambda: self._run(self.list_webhooks(), "list webhooks"))
        self.delete.clicked.connect(self._confirm_delete)
        form = self.form()
        self.key_note = note()
        form.addRow("API key", self.field("api_key", self.api_key))
        form.addRow("", self.key_note)
        form.addRow(
            "API address", self.field("api_url", self.api_url, "Change only if Intulse tells you to.")
        )
        buttons = QHBoxLayout()
        for button in (self.register, self.list, self.delete):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.content.addLayout(buttons)
        self.content.addWidget(self.account_result)
        self.content.addWidget(self.registrations)

    # --- the form ------------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self.api_url.setText(settings.api_url)
        self.account_result.clear()  # what an action came to last time the dialog was open may be stale
        self.registrations.clear()
        self.registrations.hide()
        where = f"Kept in {self._secrets.location}, never in the settings file."
        if os.environ.get(API_KEY_ENV):
            where += f" {API_KEY_ENV} is set in the environment and is used instead."
        if os.environ.get(API_URL_ENV):
            where += f" {API_URL_ENV} is set and overrides the API address."
        self.key_note.setText(where)

    def values(self) -> dict[str, Any]:
        return {"api_url": self.api_url.text().strip()}

    def problems(self, candidate: Settings | None) -> dict[str, str]:
        if self.api_key.text().strip():
            try:
                check_api_key(self.api_key.text())
            except ApiKeyError as exc:
                return {"api_key": str(exc)}
        return {}

    def has_api_key(self) -> bool:
        return bool(self.api_key.text().strip() or os.environ.get(API_KEY_ENV))

    def set_busy(self, busy: bool, valid: bool) -> None:
        for button in (self.register, self.list):
            button.setEnabled(not busy and valid)
        self.delete.setEnabled(not busy and valid and self._selected_webhook() is not None)

    # --- the actions ---------------------------------------------------------------------

    def _api(self, settings: Settings) -> IntulseApi | None:
        """A client with the stored key, or None with the reason shown."""
        try:
            return IntulseApi.from_secrets(
                settings,
                self._secrets,
                no_key="Enter the Intulse API key above first (from the Intulse portal).",
            )
        except ApiUnavailable as exc:
            self.account_result.setText(str(exc))
            return None

    def _current_urls(self) -> dict[str, str]:
        return webhook_urls(self._saved().base_url(), self._service.secret)

    async def register_webhooks(self) -> None:
        self.account_result.setText("Registering…")
        if not await self._apply_pending():
            self.account_result.setText("Not registered: the settings could not be applied (see above).")
            return
        settings = self._saved()
        if not settings.public_url:
            self.account_result.setText(
                "Not registered: set the public URL first. Without it the URLs point at this computer, "
                "which Intulse cannot reach."
            )
            return
        api = self._api(settings)
        if api is None:
            return
        async with api:
            results = await api.register(self._current_urls())
        done = sum(result.ok for result in results.values())
        summary = (
            "All four webhooks are registered."
            if done == len(results)
            else f"{done} of {len(results)} webhooks are registered:"
        )
        lines = [f"{'✓' if r.ok else '✗'} {event_type}: {r.message}" for event_type, r in results.items()]
        self.account_result.setText("\n".join([summary, *lines]))

    async def list_webhooks(self) -> None:
        self.account_result.setText("Asking Intulse…")
        if not await self._apply_pending():
            self.account_result.setText("Not listed: the settings could not be applied (see above).")
            return
        api = self._api(self._saved())
        if api is None:
            return
        async with api:
            await self._show_listing(api)

    async def _show_listing(self, api: IntulseApi) -> None:
        listing = await api.list_webhooks()
        self.registrations.clear()
        result = listing.result
        if result.kind is Kind.UNSUPPORTED:
            self.registrations.hide()
            self.account_result.setText(
                f"{_sentence(result.message)} The registrations can be seen in the Intulse portal; "
                "registering here works all the same."
            )
            return
        if not result.ok:
            self.registrations.hide()
            self.account_result.setText(f"Could not list the webhooks: {result.message}")
            return
        ours = set(self._current_urls().values())
        for webhook in listing.webhooks:
            whose = "this app, current secret" if webhook.url in ours else "another address or an old secret"
            item = QTreeWidgetItem([webhook.type, redact_path(webhook.url), whose, webhook.id or "—"])
            item.setData(0, Qt.ItemDataRole.UserRole, webhook)
            self.registrations.addTopLevelItem(item)
        self.registrations.setVisible(bool(listing.webhooks))
        count = len(listing.webhooks)
        self.account_result.setText(
            f"{count} webhook registration{'' if count == 1 else 's'} at Intulse."
            + (" Select one to delete it." if count else "")
        )

    def _selected_webhook(self) -> Webhook | None:
        item = self.registrations.currentItem()
        webhook = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        return webhook if isinstance(webhook, Webhook) and webhook.id is not None else None

    def _selected(self) -> None:
        self.delete.setEnabled(self.register.isEnabled() and self._selected_webhook() is not None)

    def _confirm_delete(self) -> None:
        webhook = self._selected_webhook()
        if webhook is None:
            return
        self._confirm(
            QMessageBox.Icon.Question,
            "Delete this webhook registration?",
            f"Intulse stops posting {webhook.type} events to {redact_path(webhook.url)}.",
            ("Delete", QMessageBox.ButtonRole.DestructiveRole),
            lambda: self._run(self.delete_webhook(webhook), "delete a webhook"),
        )

    async def delete_webhook(self, webhook: Webhook) -> None:
        assert webhook.id is not None
        api = self._api(self._saved())
        if api is None:
            return
        async with api:
            result = await api.delete_webhook(webhook.id)
            if result.ok:
                await self._show_listing(api)
                self.account_result.setText(
                    f"Deleted the {webhook.type} registration. {self.account_result.text()}"
                )
            elif result.kind is Kind.UNSUPPORTED:
                self.account_result.setText(
                    f"{_sentence(result.message)} Delete it in the Intulse portal instead."
                )
            else:
                self.account_result.setText(f"Could not delete it: {result.message}")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
