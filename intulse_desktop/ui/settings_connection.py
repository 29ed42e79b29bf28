"""The Connection tab: where events come from, the webhook URLs and their secret, the Intulse
account (register, list, delete webhooks), a test delivery, and what became of recent deliveries.

Every action first applies what was edited, so it acts on what the dialog shows; its result is
shown in words on the tab, never in an error box.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop.bus import TestNotice
from intulse_desktop.delivery_check import TIMEOUT as TEST_TIMEOUT
from intulse_desktop.delivery_check import DeliveryResult, check_delivery
from intulse_desktop.intulse_api import API_URL_ENV, ApiKeyError, IntulseApi, Kind, Webhook, check_api_key
from intulse_desktop.logs import redact_path
from intulse_desktop.popups import explain
from intulse_desktop.receiver import webhook_urls
from intulse_desktop.secrets import API_KEY, API_KEY_ENV, HUB_TOKEN, SecretsError
from intulse_desktop.service import ReceiverError
from intulse_desktop.settings import Settings, SettingsError
from intulse_desktop.ui.widgets import plain_tooltip
from intulse_desktop.ui.settings_form import Page, group, note, outcome

if TYPE_CHECKING:
    from intulse_desktop.ui.desktop import Desktop

NOTICE_WAIT = 2.0  # after the answer, how long the test notice from our own receiver may take
RECENT_DELIVERIES = 100
POLL_MS = 2000  # refused deliveries reach no listener: while the tab shows, look for them this often
Run = Callable[[Coroutine[Any, Any, None], str], None]


class ConnectionPage(Page):
    title = "Connection"

    def __init__(self, desktop: Desktop, apply_pending: Callable[[], Awaitable[bool]], run: Run) -> None:
        super().__init__(desktop)
        self._apply_pending = apply_pending
        self._run = run
        self._stored: dict[str, str] = {}  # the secrets as stored, to tell whether they were edited
        self._bind_failure: tuple[str, str, str] | None = None  # host and port text, and why
        self.confirm: QMessageBox | None = None

        # --- where events come from
        self.on_computer = QRadioButton("On this computer: Intulse posts to this app's own receiver")
        self.from_hub = QRadioButton("From an office hub that receives them for everyone")
        self._source = QButtonGroup(self)
        self._source.addButton(self.on_computer)
        self._source.addButton(self.from_hub)
        self.hub_url = QLineEdit()
        self.hub_url.setPlaceholderText("e.g. https://hub.office.example:8766")
        self.hub_token = _secret_field("the token the hub's administrator gave you")
        self.from_hub.toggled.connect(self._source_chosen)
        source, source_layout = group("Receive events")
        source_layout.addWidget(self.field("receive_from", self.on_computer))
        source_layout.addWidget(self.from_hub)
        self.watch(self.from_hub)
        hub_form = QFormLayout()
        hub_form.addRow("Hub address", self.field("hub_url", self.hub_url))
        hub_form.addRow("Hub token", self.field("hub_token", self.hub_token))
        source_layout.addLayout(hub_form)

        # --- this computer's receiver
        self.host = QLineEdit()
        self.port = QLineEdit()
        self.port.setMaximumWidth(90)
        self.public_url = QLineEdit()
        self.public_url.setPlaceholderText("e.g. https://desk-204.example.com (a tunnel or port forward)")
        receiver, receiver_layout = group("Receiver on this computer")
        receiver_form = QFormLayout()
        receiver_layout.addLayout(receiver_form)
        receiver_form.addRow(
            "Listen on",
            self.field("listen_host", self.host, "127.0.0.1: this computer only; 0.0.0.0: every network."),
        )
        receiver_form.addRow("Port", self.field("listen_port", self.port))
        receiver_form.addRow(
            "Public URL",
            self.field(
                "public_url", self.public_url, "Where Intulse reaches this receiver from the internet."
            ),
        )

        # --- the webhook URLs
        self.urls: dict[str, QLineEdit] = {}
        urls_box, urls_layout = group("Webhook URLs (one per event type; each carries the secret)")
        grid = QGridLayout()
        for row, event_type in enumerate(webhook_urls("", "")):
            shown = QLineEdit()
            shown.setReadOnly(True)
            shown.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # not where focus lands when a button is busy
            copy = QPushButton("Copy")
            copy.clicked.connect(
                lambda _=False, e=event_type: QGuiApplication.clipboard().setText(self.urls[e].text())
            )
            grid.addWidget(note(event_type), row, 0)
            grid.addWidget(shown, row, 1)
            grid.addWidget(copy, row, 2)
            self.urls[event_type] = shown
        self.urls_note = note()
        self.regenerate = QPushButton("Regenerate secret…")
        self.regenerate.clicked.connect(self._confirm_regenerate)
        urls_layout.addLayout(grid)
        urls_layout.addWidget(self.urls_note)
        urls_layout.addWidget(self.regenerate, 0, Qt.AlignmentFlag.AlignLeft)

        # --- the Intulse account
        self.api_key = _secret_field("from the Intulse portal")
        self.api_url = QLineEdit()
        self.register = QPushButton("Register webhooks")
        self.list = QPushButton("List registrations")
        self.delete = QPushButton("Delete selected")
        self.delete.setEnabled(False)
        self.account_result = outcome()
        self.registrations = QTreeWidget()
        self.registrations.setHeaderLabels(["Event", "URL", "Whose", "Id"])
        self.registrations.setRootIsDecorated(False)
        self.registrations.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.registrations.setMaximumHeight(130)
        columns = self.registrations.header()
        for column in range(4):
            columns.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        columns.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.registrations.hide()
        self.registrations.currentItemChanged.connect(self._selected)
        self.register.clicked.connect(lambda: self._run(self.register_webhooks(), "register webhooks"))
        self.list.clicked.connect(lambda: self._run(self.list_webhooks(), "list webhooks"))
        self.delete.clicked.connect(self._confirm_delete)
        account, account_layout = group("Intulse account")
        account_form = QFormLayout()
        account_layout.addLayout(account_form)
        self.key_note = note()
        account_form.addRow("API key", self.field("api_key", self.api_key))
        account_form.addRow("", self.key_note)
        account_form.addRow(
            "API address", self.field("api_url", self.api_url, "Change only if Intulse tells you to.")
        )
        buttons = QHBoxLayout()
        for button in (self.register, self.list, self.delete):
            buttons.addWidget(button)
        buttons.addStretch(1)
        account_layout.addLayout(buttons)
        account_layout.addWidget(self.account_result)
        account_layout.addWidget(self.registrations)

        # --- test delivery
        self.test = QPushButton("Test delivery")
        self.test.clicked.connect(lambda: self._run(self.test_delivery(), "test delivery"))
        self.test_result = outcome()
        test, test_layout = group("Test delivery")
        test_layout.addWidget(
            note(
                "Posts a harmless test event to the public URL (this computer's own address if none is set) "
                f"and waits up to {TEST_TIMEOUT:g} s for this receiver to get it. "
                "Nothing is stored or popped."
            )
        )
        test_layout.addWidget(self.test, 0, Qt.AlignmentFlag.AlignLeft)
        test_layout.addWidget(self.test_result)

        # --- recent deliveries
        self.deliveries = QTreeWidget()
        self.deliveries.setHeaderLabels(["Received", "Event", "HTTP", "What happened"])
        self.deliveries.setRootIsDecorated(False)
        self.deliveries.setMinimumHeight(150)
        header = self.deliveries.header()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.refresh = QPushButton("Refresh")
        self.refresh.clicked.connect(self.refresh_deliveries)
        self._shown_rows: list[tuple[int, str]] = []
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.refresh_deliveries)
        recent, recent_layout = group("Recent deliveries: what the receiver got, and whether it popped")
        recent_layout.addWidget(self.deliveries)
        recent_layout.addWidget(self.refresh, 0, Qt.AlignmentFlag.AlignLeft)

        left = QVBoxLayout()
        for box in (source, receiver):
            left.addWidget(box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(account)
        right.addWidget(test)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addLayout(columns)
        layout.addWidget(urls_box)
        layout.addWidget(recent, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    # --- the form ------------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        (self.from_hub if settings.receive_from == "hub" else self.on_computer).setChecked(True)
        self.hub_url.setText(settings.hub_url or "")
        self.host.setText(settings.listen_host)
        self.port.setText(str(settings.listen_port))
        self.public_url.setText(settings.public_url or "")
        self.api_url.setText(settings.api_url)
        self._bind_failure = None
        for result in (self.account_result, self.test_result):
            result.clear()  # what an action came to last time the dialog was open may be stale
        self.registrations.clear()
        self.registrations.hide()
        self._stored = {}
        try:
            for name in (API_KEY, HUB_TOKEN):
                self._stored[name] = self.desktop.secrets.get(name) or ""
        except SecretsError as exc:
            self.account_result.setText(str(exc))
        self.api_key.setText(self._stored.get(API_KEY, ""))
        self.hub_token.setText(self._stored.get(HUB_TOKEN, ""))
        where = f"Kept in {self.desktop.secrets.location}, never in the settings file."
        if os.environ.get(API_KEY_ENV):
            where += f" {API_KEY_ENV} is set in the environment and is used instead."
        if os.environ.get(API_URL_ENV):
            where += f" {API_URL_ENV} is set and overrides the API address."
        self.key_note.setText(where)
        self._source_chosen()

    def values(self) -> dict[str, Any]:
        return {
            "receive_from": "hub" if self.from_hub.isChecked() else "computer",
            "hub_url": self.hub_url.text().strip() or None,
            "listen_host": self.host.text().strip(),
            "listen_port": self.port.text().strip(),
            "public_url": self.public_url.text().strip() or None,
            "api_url": self.api_url.text().strip(),
        }

    def problems(self, candidate: Settings | None) -> dict[str, str]:
        problems = {}
        if self.api_key.text().strip():
            try:
                check_api_key(self.api_key.text())
            except ApiKeyError as exc:
                problems["api_key"] = str(exc)
        if self.from_hub.isChecked() and not self.hub_url.text().strip():
            problems["hub_url"] = "enter the hub's address"
        if not self.port.text().strip():
            problems["listen_port"] = "enter a port from 1 to 65535"
        return problems

    def show_problems(self, problems: dict[str, str]) -> int:
        count = super().show_problems(problems)
        failure = self._bind_failure
        if failure and not problems.get("listen_port"):
            if (self.host.text().strip(), self.port.text().strip()) == failure[:2]:
                self.reasons["listen_port"].say(failure[2])
            else:
                self._bind_failure = None  # edited since: try again
        return count

    def preview(self, candidate: Settings | None) -> None:
        applied = self.desktop.settings
        settings = candidate or applied
        urls = webhook_urls(settings.base_url(), self.desktop.service.secret)
        for event_type, url in urls.items():
            self.urls[event_type].setText(url)
            self.urls[event_type].setCursorPosition(0)
        lines = []
        if settings.base_url() != applied.base_url():
            lines.append("These URLs are what Intulse will use after you apply.")
        if not settings.public_url:
            lines.append(
                "No public URL: these point at this computer, which Intulse cannot reach. A tunnel "
                "(cloudflared, ngrok, Tailscale Funnel) or a port forward gives it an address to enter above."
            )
        self.urls_note.setText(" ".join(lines))

    def has_api_key(self) -> bool:
        return bool(self.api_key.text().strip() or os.environ.get(API_KEY_ENV))

    def pending(self) -> bool:
        return self._typed(API_KEY) != self._stored.get(API_KEY, "") or self._typed(
            HUB_TOKEN
        ) != self._stored.get(HUB_TOKEN, "")

    def commit(self) -> None:
        for name in (API_KEY, HUB_TOKEN):
            value = self._typed(name)
            if value == self._stored.get(name, ""):
                continue
            if value:
                self.desktop.secrets.set(name, value)
            else:
                self.desktop.secrets.delete(name)
            self._stored[name] = value

    def receiver_failed(self, error: ReceiverError, host: str, port: int) -> str:
        """Say next to the port why the receiver could not move, and that the old address still works."""
        why = (
            f"port {port} is in use by another program" if error.errno == errno.EADDRINUSE else error.strerror
        )
        address = self.desktop.service.address
        still = (
            f"the receiver keeps listening on {address[0]}:{address[1]}" if address else "nothing listens now"
        )
        message = f"Cannot listen on {host}:{port}: {why}; {still}."
        self._bind_failure = (self.host.text().strip(), self.port.text().strip(), message)
        return message

    def set_busy(self, busy: bool, valid: bool) -> None:
        """Actions wait for the one under way; those that apply first also for a valid form."""
        for button in (self.register, self.list, self.test):
            button.setEnabled(not busy and valid)
        self.regenerate.setEnabled(not busy)
        self.delete.setEnabled(not busy and valid and self._selected_webhook() is not None)

    def showEvent(self, event: QShowEvent) -> None:
        self._poll.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._poll.stop()
        super().hideEvent(event)

    def _typed(self, name: str) -> str:
        return (self.api_key if name == API_KEY else self.hub_token).text().strip()

    def _source_chosen(self) -> None:
        hub = self.from_hub.isChecked()
        self.hub_url.setEnabled(hub)
        self.hub_token.setEnabled(hub)

    # --- the secret ----------------------------------------------------------------------

    def _confirm_regenerate(self) -> None:
        self._confirm(
            QMessageBox.Icon.Warning,
            "Regenerate the webhook secret?",
            "All four webhook URLs change at once. Intulse keeps posting to the old ones, and this app "
            "refuses those, until you register the webhooks again.",
            ("Regenerate", QMessageBox.ButtonRole.AcceptRole),
            self.regenerate_secret,
        )

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

    def regenerate_secret(self) -> None:
        try:
            secret = self.desktop.secrets.regenerate_webhook_secret()
        except SecretsError as exc:
            self.urls_note.setText(f"The secret was not changed: {exc}")
            return
        self.desktop.service.rotate_secret(secret)  # the old URLs stop working now
        self.edited.emit()  # shows the new URLs
        self.urls_note.setText(
            "New secret in use: the old URLs are refused from now on. Register the webhooks again."
        )

    # --- the Intulse account -------------------------------------------------------------

    def _api(self, settings: Settings) -> IntulseApi | None:
        """A client with the stored key, or None with the reason shown."""
        try:
            key = self.desktop.secrets.api_key()
            if not key:
                self.account_result.setText(
                    "Enter the Intulse API key above first (from the Intulse portal)."
                )
                return None
            return IntulseApi.from_settings(settings, key)
        except (SecretsError, SettingsError, ApiKeyError) as exc:
            self.account_result.setText(str(exc))
            return None

    def _current_urls(self) -> dict[str, str]:
        return webhook_urls(self.desktop.settings.base_url(), self.desktop.service.secret)

    async def register_webhooks(self) -> None:
        self.account_result.setText("Registering…")
        if not await self._apply_pending():
            self.account_result.setText("Not registered: the settings could not be applied (see above).")
            return
        settings = self.desktop.settings
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
        api = self._api(self.desktop.settings)
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
        api = self._api(self.desktop.settings)
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

    # --- test delivery -------------------------------------------------------------------

    async def test_delivery(self) -> None:
        self.test_result.setText(f"Testing… (up to {TEST_TIMEOUT:g} s)")
        if not await self._apply_pending():
            self.test_result.setText("Not tested: the settings could not be applied (see above).")
            return
        heard: list[TestNotice] = []
        arrived = asyncio.Event()

        def notice(test: TestNotice) -> None:
            heard.append(test)
            arrived.set()

        unsubscribe = self.desktop.service.subscribe_tests(notice)
        try:
            result = await check_delivery(self.desktop.settings, self.desktop.service.secret)
            if result.ok and not heard:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(arrived.wait(), NOTICE_WAIT)
        finally:
            unsubscribe()
        self.test_result.setText(_test_words(result, heard))
        await self.desktop.service.flush()  # its delivery line is committed
        self.refresh_deliveries()

    # --- recent deliveries ---------------------------------------------------------------

    def refresh_deliveries(self) -> None:
        rows = explain(self.desktop.store.deliveries(RECENT_DELIVERIES), self.desktop.decisions)
        shown = [(row.seq, what) for row, what in rows]
        if shown == self._shown_rows:
            return  # unchanged: keep the selection and the scroll position
        self._shown_rows = shown
        self.deliveries.clear()
        for row, what in rows:
            when = row.received_utc.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            item = QTreeWidgetItem([when, row.event_type, str(row.http_status), what])
            item.setToolTip(3, plain_tooltip(what))
            self.deliveries.addTopLevelItem(item)


def _secret_field(placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    return field


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _test_words(result: DeliveryResult, heard: list[TestNotice]) -> str:
    if not result.ok:
        return (
            f"✗ The test did not arrive: {result.message}.\nWhat to do: {result.advice}.\nTested {result.url}"
        )
    lines = [f"✓ The test {result.message}."]
    if heard:
        lines.append(f"This app's receiver got it at {heard[-1].received.astimezone():%H:%M:%S}.")
    else:
        lines.append(
            "But this app's receiver did not report it: another Intulse Desktop with the same secret "
            "answered at that address."
        )
    if not result.from_outside:
        lines.append(
            "Only this computer's own address was tested, because no public URL is set: Intulse cannot "
            "reach it yet."
        )
    lines.append(f"Tested {result.url}")
    return "\n".join(lines)
