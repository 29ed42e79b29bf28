"""Set-up, page 2: how Intulse reaches this computer. An office hub (checked live, as
``hub connect`` checks it), a tunnel this app runs, an address of one's own (a port forward or
a reverse proxy), or nothing yet: this computer only."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import aiohttp
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop.hub.client import Rejected, adopt, check, describe_failure, in_clear
from intulse_desktop.secrets import HUB_TOKEN, SecretsError, SecretStore
from intulse_desktop.settings import Settings
from intulse_desktop.tunnel.manager import ManagedTunnel, TunnelNews
from intulse_desktop.tunnel.supervisor import TOOLS, TunnelState
from intulse_desktop.tunnel.tools import find_executable
from intulse_desktop.ui.desktop import Change
from intulse_desktop.ui.palette import state_color
from intulse_desktop.ui.settings.form import Form, note, outcome
from intulse_desktop.ui.settings.receiving import HUB_IN_CLEAR, TOOL_NAMES, tunnel_problems
from intulse_desktop.ui.settings.secret_field import SecretField
from intulse_desktop.ui.setup.step import Refused, Run, Step, Wiring

HUB, TUNNEL, OWN, LOCAL = "hub", "tunnel", "own", "local"
WHERE_TO_GET = {
    "cloudflared": "Get it at https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/"
    "downloads/ (a quick tunnel needs no account).",
    "ngrok": "Get it at https://ngrok.com/download, then run `ngrok config add-authtoken …` once.",
    "tailscale": "Get it at https://tailscale.com/download; Funnel must be allowed for your tailnet.",
}
CLEAR_TEXT = (
    "A plain http:// address sends your calls and texts (numbers, names, message text) across the "
    "internet unencrypted. Prefer https:// (a reverse proxy with a certificate, or a tunnel)."
)


def at_left(button: QPushButton) -> QHBoxLayout:
    """A button at its natural width, where a form would stretch it across."""
    row = QHBoxLayout()
    row.addWidget(button)
    row.addStretch(1)
    return row


class ReachForm(Form):
    """The four ways, one chosen; each one's fields are enabled while it is."""

    def __init__(self, secrets: SecretStore) -> None:
        super().__init__()
        self.ways = QButtonGroup(self)
        self.choices: dict[str, QRadioButton] = {}
        self.boxes: dict[str, QWidget] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        self.hub_url = QLineEdit()
        self.hub_url.setPlaceholderText("e.g. https://hub.office.example:8766")
        self.hub_token = SecretField(secrets, HUB_TOKEN, "the token your office hub's administrator gave you")
        self.check = QPushButton("Check")
        self.hub_result = outcome()
        hub = QFormLayout()
        self.hub_in_clear = note(HUB_IN_CLEAR)
        self.hub_in_clear.setStyleSheet(f"color: {state_color('error')};")
        self.hub_in_clear.hide()
        hub.addRow("Hub address", self.field("hub_url", self.hub_url))
        hub.addRow("", self.hub_in_clear)
        hub.addRow("Hub token", self.field("hub_token", self.hub_token))
        hub.addRow("", at_left(self.check))
        hub.addRow("", self.hub_result)
        self._way(layout, HUB, "An office hub receives for everyone; this computer connects to it", hub)

        self.tool = QComboBox()
        for tool in TOOLS:
            self.tool.addItem(TOOL_NAMES[tool], tool)
        self.tunnel_path = QLineEdit()
        self.tunnel_path.setPlaceholderText("optional: where the program is, if it is not on PATH")
        self.found = note()
        tunnel = QFormLayout()
        tunnel.addRow("Tool", self.field("tunnel", self.tool))
        tunnel.addRow("", self.found)
        tunnel.addRow("Program", self.field("tunnel_path", self.tunnel_path))
        self.start_tunnel = QPushButton("Start the tunnel")
        self.tunnel_state = outcome()
        tunnel.addRow("", at_left(self.start_tunnel))
        tunnel.addRow("", self.tunnel_state)
        self._way(layout, TUNNEL, "A tunnel this app runs: no router changes", tunnel)

        self.public_url = QLineEdit()
        self.public_url.setPlaceholderText("e.g. https://desk-204.example.com")
        self.clear_text = note()
        self.clear_text.setStyleSheet(f"color: {state_color('error')};")
        self.clear_text.hide()
        own = QFormLayout()
        own.addRow("Public URL", self.field("public_url", self.public_url))
        own.addRow("", self.clear_text)
        own.addRow(
            "",
            note(
                "A port forward to this computer (then Settings → Connection → Listen on 0.0.0.0), "
                "or a reverse proxy that leads to it."
            ),
        )
        self._way(layout, OWN, "My own address: a port forward or a reverse proxy", own)

        local = QFormLayout()
        local.addRow(note("Intulse cannot reach this computer yet; the sample card and the call log work."))
        self._way(layout, LOCAL, "Only this computer for now", local)
        layout.addStretch(1)
        self.watch(*self.choices.values(), self.hub_url, self.hub_token, self.tool)
        self.watch(self.tunnel_path, self.public_url)
        self.ways.buttonToggled.connect(self._enable)

    def _way(self, layout: QVBoxLayout, key: str, text: str, fields: QFormLayout) -> None:
        choice = QRadioButton(text)
        self.ways.addButton(choice)
        self.choices[key] = choice
        box = QWidget()
        fields.setContentsMargins(24, 0, 0, 8)
        box.setLayout(fields)
        self.boxes[key] = box
        layout.addWidget(choice)
        layout.addWidget(box)

    def way(self) -> str:
        return next((key for key, choice in self.choices.items() if choice.isChecked()), LOCAL)

    def _enable(self) -> None:
        for key, box in self.boxes.items():
            box.setEnabled(self.choices[key].isChecked())

    def load(self, settings: Settings) -> None:
        if settings.receive_from == "hub":
            way = HUB
        elif settings.tunnel != "none":
            way = TUNNEL
        else:
            way = OWN if settings.public_url else LOCAL
        self.choices[way].setChecked(True)
        self.hub_url.setText(settings.hub_url or "")
        self.tool.setCurrentIndex(max(0, self.tool.findData(settings.tunnel)))
        self.tunnel_path.setText(settings.tunnel_path or "")
        self.public_url.setText(settings.public_url or "")
        self.hub_result.clear()
        try:
            self.hub_token.read()
        except SecretsError as exc:
            self.hub_result.setText(str(exc))
        self._enable()

    def values(self) -> dict[str, Any]:
        way = self.way()
        values: dict[str, Any] = {"receive_from": "hub" if way == HUB else "computer", "tunnel": "none"}
        if way == HUB:
            values["hub_url"] = self.hub_url.text().strip() or None
        elif way == TUNNEL:
            values |= {
                "tunnel": self.tool.currentData(),
                "tunnel_path": self.tunnel_path.text().strip() or None,
            }
        values["public_url"] = (self.public_url.text().strip() or None) if way == OWN else None
        return values

    def problems(self, candidate: Settings | None) -> dict[str, str]:
        way = self.way()
        if way == HUB:
            problems = {}
            if not self.hub_url.text().strip():
                problems["hub_url"] = "enter the hub's address"
            if not self.hub_token.typed():
                problems["hub_token"] = "enter the token the hub's administrator gave you"
            return problems
        if way == OWN and not self.public_url.text().strip():
            return {"public_url": "enter the address Intulse reaches this computer at"}
        return tunnel_problems(candidate) if way == TUNNEL else {}

    def preview(self, candidate: Settings | None) -> None:
        self.hub_in_clear.setHidden(not (self.way() == HUB and in_clear(self.hub_url.text().strip())))
        url = self.public_url.text().strip()
        self.clear_text.setText(CLEAR_TEXT if self.way() == OWN and url.lower().startswith("http://") else "")
        self.clear_text.setVisible(bool(self.clear_text.text()))
        tool = self.tool.currentData()
        found = find_executable(tool, self.tunnel_path.text().strip() or None)
        self.found.setText(f"Found: {found}" if found else WHERE_TO_GET[tool])

    def pending(self) -> bool:
        return self.way() == HUB and self.hub_token.pending()

    def commit(self) -> None:
        if self.way() == HUB:
            self.hub_token.commit()


class ReachStep(Step):
    def __init__(self, wiring: Wiring, run: Run) -> None:
        self.form = ReachForm(wiring.secrets)
        super().__init__(
            "How Intulse reaches you",
            "Intulse is on the internet and posts each call to a web address. Choose how that address "
            "leads here; Settings → Connection holds the same.",
            wiring,
            run,
            [self.form],
        )
        self.form.check.clicked.connect(lambda: self.run(self.check_hub(), "check the office hub"))
        self.form.start_tunnel.clicked.connect(lambda: self.run(self.start_tunnel(), "start the tunnel"))
        self.news: list[str] = []  # what the tunnel did lately, under its state
        self._unwatch: Callable[[], None] | None = None
        self._watched: ManagedTunnel | None = None
        self.add(self.form, 1)
        self.add(self.status)
        wiring.changed.connect(self._changed)

    def initializePage(self) -> None:
        super().initializePage()
        self._watch(self.wiring.tunnel())

    def _changed(self, change: Change) -> None:
        """The app started, stopped or moved its tunnel (it follows the settings saved here)."""
        if change in (Change.TUNNEL, Change.SETTINGS) and self.wiring.tunnel() is not self._watched:
            self._watch(self.wiring.tunnel())

    def set_busy(self, busy: bool) -> None:
        super().set_busy(busy)
        self.form.check.setEnabled(not busy)
        self.form.start_tunnel.setEnabled(not busy and self.candidate is not None)

    def validate(self) -> None:
        super().validate()
        self.form.start_tunnel.setEnabled(not self.busy and self.candidate is not None)

    # --- a tunnel this app runs --------------------------------------------------------------

    async def start_tunnel(self) -> None:
        """Save the choice: the app then runs that tunnel (and stops one no longer wanted)."""
        if await self.save_pending():
            self._watch(self.wiring.tunnel())

    def _watch(self, tunnel: ManagedTunnel | None) -> None:
        """Show ``tunnel``'s state and what it does (registering at its address, testing it)."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        self.news = []
        self._watched = tunnel
        if tunnel is None:
            self.form.tunnel_state.clear()
            return
        self._unwatch = tunnel.subscribe(self._heard)
        self._show(tunnel.state)

    def _heard(self, news: TunnelNews) -> None:
        if news.message != str(news.state):
            self.news = [*self.news, f"{'✓' if news.ok else '✗'} {news.message}"][-4:]
        self._show(news.state)

    def _show(self, state: TunnelState) -> None:
        self.form.tunnel_state.setText("\n".join([str(state), *self.news]))

    # --- an office hub --------------------------------------------------------------------------

    async def check_hub(self) -> None:
        """Connect to the hub once with the token typed, and say who it knows this desktop as."""
        with contextlib.suppress(Refused):  # said in the result already
            await self._identity()

    async def _identity(self) -> dict[str, Any]:
        url = self.wiring.saved().with_values({"hub_url": self.form.hub_url.text()}).hub_url or ""
        token = self.form.hub_token.typed()
        self.wiring.secrets.redactor.add(token)  # kept out of the log from now on, as when stored
        self.form.hub_result.setText("Checking…")
        try:
            identity = await check(url, token)
        except (Rejected, aiohttp.ClientError, OSError, TimeoutError) as exc:
            self.form.hub_result.setText(f"✗ {exc if isinstance(exc, Rejected) else describe_failure(exc)}")
            raise Refused("Not saved: the office hub did not accept this desktop (see above).") from None
        numbers = ", ".join(identity.get("numbers") or []) or "no numbers"
        self.form.hub_result.setText(
            f"✓ The hub knows this desktop as ext {identity.get('extension', '?')} ({numbers})."
        )
        return identity

    async def adjusted(self, candidate: Settings) -> Settings:
        if candidate.receive_from != "hub" or candidate.hub_url is None:
            return candidate
        return candidate.with_values(adopt(candidate, candidate.hub_url, await self._identity()))
