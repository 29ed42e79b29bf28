"""Connection tab, where events come from: an office hub or this computer's receiver, and the
webhook URLs (with their secret) to register with Intulse."""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
)

from intulse_desktop.hub.client import in_clear
from intulse_desktop.receiver import webhook_urls
from intulse_desktop.secrets import HUB_TOKEN, SecretsError, SecretStore
from intulse_desktop.service import ReceiverError, Service
from intulse_desktop.settings import Settings
from intulse_desktop.tunnel.published import published
from intulse_desktop.tunnel.supervisor import TOOLS, missing
from intulse_desktop.tunnel.tools import find_executable
from intulse_desktop.ui.palette import state_color
from intulse_desktop.ui.settings.form import Section, note
from intulse_desktop.ui.settings.secret_field import SecretField

TOOL_NAMES = {
    "cloudflared": "Cloudflare Tunnel (cloudflared)",
    "ngrok": "ngrok",
    "tailscale": "Tailscale Funnel",
}
HUB_IN_CLEAR = (
    "Not encrypted: the token and every call and text would travel in clear. "
    "Use https:// unless this network is private."
)

# ask first (icon, title, text, the button that goes ahead, what it does), never with ``exec()``
Confirm = Callable[[QMessageBox.Icon, str, str, tuple[str, QMessageBox.ButtonRole], Callable[[], None]], None]


class SourceBox(Section):
    def __init__(self, secrets: SecretStore) -> None:
        super().__init__("Receive events")
        self.on_computer = QRadioButton("On this computer: Intulse posts to this app's own receiver")
        self.from_hub = QRadioButton("From an office hub that receives them for everyone")
        self._source = QButtonGroup(self)
        self._source.addButton(self.on_computer)
        self._source.addButton(self.from_hub)
        self.hub_url = QLineEdit()
        self.hub_url.setPlaceholderText("e.g. https://hub.office.example:8766 (several: comma-separated)")
        self.hub_token = SecretField(secrets, HUB_TOKEN, "the token the hub's administrator gave you")
        self.in_clear = note(HUB_IN_CLEAR)
        self.in_clear.setObjectName("in_clear")
        self.in_clear.setStyleSheet(f"color: {state_color('error')};")
        self.hub_url.textChanged.connect(self._warn_if_in_clear)
        self.from_hub.toggled.connect(self._source_chosen)
        self.content.addWidget(self.field("receive_from", self.on_computer))
        self.content.addWidget(self.from_hub)
        self.watch(self.from_hub)
        hub_form = QFormLayout()
        hub_form.addRow("Hub address", self.field("hub_url", self.hub_url))
        hub_form.addRow("", self.in_clear)
        hub_form.addRow("Hub token", self.field("hub_token", self.hub_token))
        self.content.addLayout(hub_form)

    def load(self, settings: Settings) -> None:
        (self.from_hub if settings.receive_from == "hub" else self.on_computer).setChecked(True)
        self.hub_url.setText(settings.hub_url or "")
        self._source_chosen()

    def values(self) -> dict[str, Any]:
        return {
            "receive_from": "hub" if self.from_hub.isChecked() else "computer",
            "hub_url": self.hub_url.text().strip() or None,
        }

    def problems(self, candidate: Settings | None) -> dict[str, str]:
        if self.from_hub.isChecked() and not self.hub_url.text().strip():
            return {"hub_url": "enter the hub's address"}
        return {}

    def pending(self) -> bool:
        return self.hub_token.pending()

    def commit(self) -> None:
        self.hub_token.commit()

    def _warn_if_in_clear(self) -> None:
        self.in_clear.setHidden(not (self.from_hub.isChecked() and in_clear(self.hub_url.text().strip())))

    def _source_chosen(self) -> None:
        hub = self.from_hub.isChecked()
        self.hub_url.setEnabled(hub)
        self.hub_token.setEnabled(hub)
        self._warn_if_in_clear()


def tunnel_problems(candidate: Settings | None) -> dict[str, str]:
    """A tunnel whose program cannot be found, named with where it was looked for."""
    if candidate is None or candidate.tunnel == "none":
        return {}
    if find_executable(candidate.tunnel, candidate.tunnel_path) is None:
        return {"tunnel": missing(candidate.tunnel, candidate.tunnel_path)}
    return {}


class ReceiverBox(Section):
    def __init__(self, service: Service) -> None:
        super().__init__("Receiver on this computer")
        self._service = service
        self._bind_failure: tuple[str, str, str] | None = None  # host and port text, and why
        self.host = QLineEdit()
        self.port = QLineEdit()
        self.port.setMaximumWidth(90)
        self.public_url = QLineEdit()
        self.public_url.setPlaceholderText("e.g. https://desk-204.example.com (a tunnel or port forward)")
        form = self.form()
        form.addRow(
            "Listen on",
            self.field("listen_host", self.host, "127.0.0.1: this computer only; 0.0.0.0: every network."),
        )
        form.addRow("Port", self.field("listen_port", self.port))
        form.addRow(
            "Public URL",
            self.field(
                "public_url", self.public_url, "Where Intulse reaches this receiver from the internet."
            ),
        )
        self.tunnel = QComboBox()
        self.tunnel.addItem("None", "none")
        for tool in TOOLS:
            self.tunnel.addItem(TOOL_NAMES[tool], tool)
        self.tunnel_path = QLineEdit()
        self.tunnel_path.setPlaceholderText("optional: where the program is, if it is not on PATH")
        form.addRow(
            "Tunnel",
            self.field(
                "tunnel",
                self.tunnel,
                "A tunnel this app runs: its address is used instead of the public URL, and the "
                "webhooks are registered again whenever it changes.",
            ),
        )
        form.addRow("Tunnel program", self.field("tunnel_path", self.tunnel_path))

    def load(self, settings: Settings) -> None:
        self.host.setText(settings.listen_host)
        self.port.setText(str(settings.listen_port))
        self.public_url.setText(settings.public_url or "")
        self.tunnel.setCurrentIndex(max(0, self.tunnel.findData(settings.tunnel)))
        self.tunnel_path.setText(settings.tunnel_path or "")
        self._bind_failure = None

    def values(self) -> dict[str, Any]:
        return {
            "listen_host": self.host.text().strip(),
            "listen_port": self.port.text().strip(),
            "public_url": self.public_url.text().strip() or None,
            "tunnel": self.tunnel.currentData(),
            "tunnel_path": self.tunnel_path.text().strip() or None,
        }

    def problems(self, candidate: Settings | None) -> dict[str, str]:
        problems = tunnel_problems(candidate)
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

    def receiver_failed(self, error: ReceiverError, host: str, port: int) -> str:
        """Say next to the port why the receiver could not move, and that the old address still works."""
        why = (
            f"port {port} is in use by another program" if error.errno == errno.EADDRINUSE else error.strerror
        )
        address = self._service.address
        still = (
            f"the receiver keeps listening on {address[0]}:{address[1]}" if address else "nothing listens now"
        )
        message = f"Cannot listen on {host}:{port}: {why}; {still}."
        self._bind_failure = (self.host.text().strip(), self.port.text().strip(), message)
        return message


class UrlsBox(Section):
    def __init__(
        self, service: Service, secrets: SecretStore, saved: Callable[[], Settings], confirm: Confirm
    ) -> None:
        super().__init__("Webhook URLs (one per event type; each carries the secret)")
        self._service = service
        self._secrets = secrets
        self._saved = saved
        self._confirm = confirm
        self.urls: dict[str, QLineEdit] = {}
        grid = QGridLayout()
        for row, event_type in enumerate(webhook_urls("", "")):
            shown = QLineEdit()
            shown.setReadOnly(True)
            shown.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # not where focus lands when a button is busy
            shown.setAccessibleName(f"{event_type} webhook URL")
            copy = QPushButton("Copy")
            copy.setAccessibleName(f"Copy the {event_type} webhook URL")
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
        self.content.addLayout(grid)
        self.content.addWidget(self.urls_note)
        self.content.addWidget(self.regenerate, 0, Qt.AlignmentFlag.AlignLeft)

    def preview(self, candidate: Settings | None) -> None:
        applied = self._saved()
        settings = candidate or applied
        tunnel = published(self._service.paths.tunnel_file)
        base = tunnel.address if tunnel is not None and tunnel.address else settings.base_url()
        urls = webhook_urls(base, self._service.secret)
        for event_type, url in urls.items():
            self.urls[event_type].setText(url)
            self.urls[event_type].setCursorPosition(0)
        lines = []
        if tunnel is not None:
            lines.append(
                f"Through the {tunnel.tool} tunnel this app runs: {tunnel.said}. Its address changes when "
                "it restarts; with the API key the app registers the new one itself."
            )
        elif settings.base_url() != applied.base_url():
            lines.append("These URLs are what Intulse will use after you apply.")
        if not settings.public_url and tunnel is None:
            lines.append(
                "No public URL: these point at this computer, which Intulse cannot reach. A tunnel "
                "(cloudflared, ngrok, Tailscale Funnel) or a port forward gives it an address to enter above."
            )
        self.urls_note.setText(" ".join(lines))

    def _confirm_regenerate(self) -> None:
        self._confirm(
            QMessageBox.Icon.Warning,
            "Regenerate the webhook secret?",
            "All four webhook URLs change at once. Intulse keeps posting to the old ones, and this app "
            "refuses those, until you register the webhooks again.",
            ("Regenerate", QMessageBox.ButtonRole.AcceptRole),
            self.regenerate_secret,
        )

    def regenerate_secret(self) -> None:
        try:
            secret = self._secrets.regenerate_webhook_secret()
        except SecretsError as exc:
            self.urls_note.setText(f"The secret was not changed: {exc}")
            return
        self._service.rotate_secret(secret)  # the old URLs stop working now
        self.edited.emit()  # shows the new URLs
        self.urls_note.setText(
            "New secret in use: the old URLs are refused from now on. Register the webhooks again."
        )
