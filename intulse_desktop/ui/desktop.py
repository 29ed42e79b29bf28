"""The GUI as one subscriber on the service: pop-ups, the tray, and what every window shares.

Windows hear what changed through ``Desktop.changed`` (a ``Change``); the call
log and the settings windows are opened by ``ui.shell.Shell``, which builds on
this, so that they may know ``Desktop`` without it knowing them.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QWidget

from intulse_desktop.bus import Delivery
from intulse_desktop.caller_names import call_name, caller_name
from intulse_desktop.events import CallCompleted, CallStarted, PhoneState, TextMessageReceived
from intulse_desktop.formatting import format_duration, human_time, local_time_short, without_bidi_controls
from intulse_desktop.links import fill, is_safe_url
from intulse_desktop.matching import format_number, normalize_number
from intulse_desktop.paths import Paths
from intulse_desktop.popups import Decision, decide
from intulse_desktop.resources import RECEIVER_PROBLEM
from intulse_desktop.secrets import HUB_TOKEN, SecretStore
from intulse_desktop.service import Service
from intulse_desktop.settings import Settings
from intulse_desktop.store import CallRow, PresenceRow, Store
from intulse_desktop.tasks import Tasks
from intulse_desktop.tunnel.manager import ManagedTunnel
from intulse_desktop.ui.cards import CardActions, CardStack, Pop, Popups, no_markup
from intulse_desktop.ui.click_to_call import click_to_call
from intulse_desktop.ui.contacts import Contacts
from intulse_desktop.ui.details import CallerDetails
from intulse_desktop.ui.icons import tray_icon
from intulse_desktop.ui.notifications import choose_popups
from intulse_desktop.ui.player import PlayerWindow, caller_title, recording_fetcher
from intulse_desktop.ui.sounds import Sounds
from intulse_desktop.ui.tray import Tray

log = logging.getLogger(__name__)

RECENT_DECISIONS = 200
HUB_WORDS = {  # the office hub connection, as the tray says it
    "connecting": "Connecting to the office hub",
    "connected": "Receiving from the office hub",
    "reconnecting": "Not receiving: reconnecting to the office hub",
    "rejected": "Not receiving: the office hub refused this desktop (open Settings for a new token)",
}


class Change(Enum):
    """What ``Desktop.changed`` says changed."""

    SETTINGS = "settings"  # saved, and in force
    SEEN = "seen"  # missed calls marked seen
    RECEIVER = "receiver"  # this computer's receiver listens, or cannot
    HUB = "hub"  # the office hub connection's state
    PRUNED = "pruned"  # old calls and texts deleted
    TUNNEL = "tunnel"  # the managed tunnel's state or address (ui/tunnel_status.py)
    CONTACTS = "contacts"  # the address book changed: names, VIPs


class Desktop(QObject):
    """Owns the tray, the cards and the details and player windows; every window reads through ``store``."""

    delivered = Signal(object)  # a Delivery, after the cards and the tray have seen it
    changed = Signal(Change)
    quit_requested = Signal()  # Quit, from the tray's menu or its fallback window

    def __init__(
        self,
        service: Service,
        paths: Paths,
        tasks: Tasks,
        secrets: SecretStore,
        *,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
        tray_available: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.paths = paths
        self.tasks = tasks
        self.secrets = secrets  # the API key, the hub token; each one read is kept out of the logs
        self.settings = service.settings
        self.store = Store(paths.database, self.settings.default_region)
        self._open_url = open_url
        self.receiver_problem: str | None = None
        self.tunnel: ManagedTunnel | None = None  # set by ui/tunnel_status.show_tunnel
        self.last_event: datetime | None = None
        self.decisions: deque[tuple[Delivery, Decision]] = deque(maxlen=RECENT_DECISIONS)
        self.cards = CardStack(
            self.settings.card_corner, self.settings.card_screen, open_log=lambda: self.tray.open_log.emit()
        )
        self._choose_popups()
        self.sounds = Sounds()
        self.details: CallerDetails | None = None
        self.windows: dict[str, QWidget] = {}
        self.contacts = Contacts(
            service, self.store, tasks, lambda: self.settings, self.save_settings, self.contacts_changed
        )
        self.fetcher = recording_fetcher(secrets, paths.recordings_cache)  # one session for every window
        extra = {} if tray_available is None else {"tray_available": tray_available}
        self.tray = Tray(
            lambda: self.store.recent_callers(self.settings.matcher()), self._caller_label, **extra
        )
        self.tray.open_caller.connect(self.show_caller)
        self.tray.dnd_toggled.connect(self.set_do_not_disturb)
        self.tray.connect_cards(self.cards)
        self.tray.quit_requested.connect(self.quit_requested)
        self._unsubscribe = service.subscribe(self.on_delivery)
        if service.contacts is not None:  # a CardDAV sync that changed names
            service.contacts.on_synced = lambda result: self.contacts_changed()
        self._unwatch_hub = service.watch_hub(lambda state, detail: self.changed.emit(Change.HUB))
        self.changed.connect(self._on_changed)
        self.tray.set_dnd(self.settings.do_not_disturb)
        self.refresh_tray()
        self._closed = False

    def _choose_popups(self) -> None:
        self._popup_style = self.settings.popup_style
        self.popups: Popups = choose_popups(self._popup_style, self.cards, self.tasks)

    def start(self) -> None:
        self.tray.start()
        self.service.keep_pruned(
            self.settings.retention_days, on_pruned=lambda: self.changed.emit(Change.PRUNED)
        )

    def close(self) -> None:
        """Quitting: the pop-ups close (nothing is marked seen by that), the windows close."""
        if self._closed:
            return
        self._closed = True
        self.service.keep_pruned(None)
        self._unwatch_hub()
        self._unsubscribe()
        self.changed.disconnect(self._on_changed)  # a write under way may still finish: the store closes
        self.popups.close_all()
        self.contacts.close()
        self.tray.hide()
        for window in [self.details, *self.windows.values()]:
            if window is not None:
                window.close()
        self.tasks.spawn(self.fetcher.close(), "close the fetcher's session")  # awaited by tasks.wait()
        self.store.close()

    # --- events ------------------------------------------------------------------------

    def on_delivery(self, delivery: Delivery) -> None:
        self.last_event = delivery.received
        decision = decide(delivery, self.settings, self.store.contact_for)
        self.decisions.append((delivery, decision))
        event = delivery.event
        if decision.card == "call":
            assert isinstance(event, CallStarted)
            self._show_call(event)
            self._play("ring")
        elif decision.card in ("completed", "missed"):
            assert isinstance(event, CallCompleted)
            self._complete(event, pop=decision.card == "missed")
        elif decision.card == "text":
            assert isinstance(event, TextMessageReceived)
            self._show_text(event)
            self._play("text")
        self.refresh_tray()
        self.delivered.emit(delivery)

    def _show_call(self, call: CallStarted | CallCompleted) -> None:
        region = self.settings.default_region
        number, name = call.remote_party_number, call.remote_party_name
        who = caller_name(self.store, number, name)
        pop = Pop(
            who.name or "Unknown caller",
            format_number(number, region) or "No number",
            f"Ext {call.extension}" + (f" · {call.user_display_name}" if call.user_display_name else ""),
            self.actions(number, name, call.extension, call.id),
            open_details=lambda: self.show_caller(number, name),
            seen=lambda: self.mark_seen([call.id]),
            carrier=who.beside,
        )
        self.popups.show_call(call, pop, self._card_ms())

    def _complete(self, call: CallCompleted, pop: bool) -> None:
        if not self.popups.complete(call, self._card_ms()) and pop:
            self._show_call(call)
            self._play("missed")

    def _show_text(self, text: TextMessageReceived) -> None:
        region = self.settings.default_region
        name, sender = self.text_sender(text.from_)
        pop = Pop(
            sender,
            format_number(text.from_, region),
            f"To {format_number(text.to, region)}",
            self.actions(text.from_, name),
            open_details=lambda: self.show_caller(text.from_, name),
            seen=lambda: None,  # a text is not counted unseen
        )
        self.popups.show_text(text, pop, self._card_ms())

    def text_sender(self, number: str) -> tuple[str, str]:
        """Who sent a text from ``number`` (texts carry no name): the contact's name, else the
        caller-ID name of the last call with it ("" if none), and the sender as shown, "name ·
        number" or just the number."""
        known = self.store.calls_with(number, 1)  # its row carries the contact's name: no second lookup
        name = (call_name(known[0]) if known else caller_name(self.store, number)).name
        return name, " · ".join(filter(None, [name, format_number(number, self.settings.default_region)]))

    def _card_ms(self) -> int | None:
        seconds = self.settings.card_seconds
        return None if seconds is None else seconds * 1000

    def _play(self, kind: str) -> None:
        settings = self.settings
        wanted = {"ring": settings.sound_ring, "missed": settings.sound_missed, "text": settings.sound_text}
        if wanted[kind]:
            self.sounds.play(kind, settings.sound_volume / 100)

    # --- actions on a number -----------------------------------------------------------

    def actions(self, number: str, name: str, extension: str = "", call_id: str = "") -> CardActions:
        dialable = normalize_number(number, self.settings.default_region) or number.strip()
        crm = self.settings.crm_url_template

        def open_template(template: str) -> None:
            self.open_url(fill(template, number=dialable, name=name, extension=extension, call_id=call_id))

        def call_back() -> None:
            if self.settings.call_back_method == "click-to-call":
                click_to_call(dialable, self.settings, self.secrets, self.tasks, self.tray.tell)
            else:
                open_template(self.settings.call_back_url_template)

        return CardActions(
            copy=lambda: QGuiApplication.clipboard().setText(dialable),
            call_back=call_back,
            crm=(lambda: open_template(crm)) if crm else None,
            contact=lambda: self.contacts.entries(number, name),
        )

    def open_url(self, url: str) -> bool:
        """Open a link built from call data, but only with a scheme on the safe list."""
        if not is_safe_url(url):
            log.warning("not opening a link with an unsafe scheme: %.40s", url)
            return False
        self._open_url(QUrl(url))
        return True

    def open_folder(self, folder: Path) -> None:
        """Show one of our own folders in the file manager (not call data, so not ``open_url``)."""
        self._open_url(QUrl.fromLocalFile(str(folder)))

    def contacts_changed(self) -> None:
        if self.details is not None and self.details.isVisible():
            self.details.refresh()
        self.changed.emit(Change.CONTACTS)

    def mark_seen(self, call_ids: list[str]) -> None:
        async def mark() -> None:
            if await self.service.write(lambda store: store.mark_seen(call_ids)):
                self.changed.emit(Change.SEEN)

        self.tasks.spawn(mark(), "mark calls seen")

    # --- windows -----------------------------------------------------------------------

    def show_caller(self, number: str, name: str = "") -> None:
        if self.details is None:
            self.details = CallerDetails(
                self.store, lambda: self.settings.default_region, self.actions, self.play_recording
            )
            self.details.addActions(self.tray.card_actions())
        self.details.show_number(number, name)

    def play_recording(self, call: CallRow) -> None:
        """Play a call's recording (from the call log and from caller details alike);
        the subtitle is "number · when · duration"."""
        if not call.recording:
            return
        region = self.settings.default_region
        details = [format_number(call.remote_party_number, region), human_time(call.start_utc)]
        if call.duration_seconds:
            details.append(format_duration(call.duration_seconds))
        self.show_recording(call.recording, caller_title(call, region), " · ".join(filter(None, details)))

    def show_recording(self, url: str, title: str, subtitle: str = "") -> PlayerWindow:
        """Play ``url`` in the one player window (made on first use)."""
        player = self.windows.get("player")
        if not isinstance(player, PlayerWindow):
            player = self.windows["player"] = PlayerWindow(self.fetcher, self.tasks, self.open_url)
            player.addActions(self.tray.card_actions())
        player.play(url, title, subtitle)
        return player

    def show_window(self, key: str, make: Callable[[], QWidget]) -> None:
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = make()
            window.addActions(self.tray.card_actions())  # the pop-up shortcuts work in every window
        window.show()
        window.raise_()
        window.activateWindow()

    # --- settings ----------------------------------------------------------------------

    def set_do_not_disturb(self, on: bool) -> None:
        self.save_settings(self.settings.with_values({"do_not_disturb": on}))

    def save_settings(self, settings: Settings) -> None:
        """Save and take effect at once (what needs no rebinding; see ``apply_settings``)."""
        settings.save(self.paths.settings_file)
        retention_changed = settings.retention_days != self.settings.retention_days
        self.settings = settings
        if retention_changed:
            self.service.keep_pruned(
                settings.retention_days, on_pruned=lambda: self.changed.emit(Change.PRUNED)
            )
        self.service.apply(settings)
        self.store.region = settings.default_region
        self.changed.emit(Change.SETTINGS)

    def _on_changed(self, change: Change) -> None:
        if change is Change.SETTINGS:
            self.tray.set_dnd(self.settings.do_not_disturb)
            if self.settings.popup_style != self._popup_style:  # those showing close, none counts as seen
                self.popups.close_all()
                self._choose_popups()
            self.popups.place(self.settings.card_corner, self.settings.card_screen)
        self.refresh_tray()

    async def apply_settings(self, settings: Settings) -> None:
        """Rebind if the address changed (the old one keeps working if that fails), then save.

        Receiving from an office hub instead: save, then (re)connect to it with the token
        in ``secrets`` (a changed token or a refused one reconnects; the receiver stops).
        """
        old = self.settings
        if settings.receive_from == "hub":
            self.save_settings(settings)
            await self.receive_from_hub()
            return
        moved = (settings.listen_host, settings.listen_port) != (old.listen_host, old.listen_port)
        if old.receive_from == "hub" or self.receiver_problem or moved:
            # raises ReceiverError (and the old address keeps working)
            await self.service.receive_locally(settings.listen_host, settings.listen_port)
            self.set_receiver_problem(None)
        self.save_settings(settings)

    async def receive_from_hub(self) -> None:
        """Events from the office hub in Settings; this computer's receiver stops listening."""
        self.set_receiver_problem(None)
        await self.service.receive_from_hub(self.settings.hub_url or "", self.secrets.get(HUB_TOKEN) or "")

    def set_receiver_problem(self, problem: str | None) -> None:
        self.receiver_problem = problem
        self.changed.emit(Change.RECEIVER)

    # --- tray --------------------------------------------------------------------------

    def _caller_label(self, call: CallRow) -> str:
        number = format_number(call.remote_party_number, self.settings.default_region)
        name = call_name(call).line()
        text = without_bidi_controls(f"{name} — {number}" if name else number)
        return text.replace("&", "&&")  # a caller's "&" is not a menu accelerator

    def refresh_tray(self) -> None:
        settings = self.settings
        missed = self.store.unseen_missed_count(settings.matcher())
        presence = self.store.presence(settings.extension) if settings.extension else []
        state = presence[0].state if presence else PhoneState.UNKNOWN
        lines = [
            f"Intulse Desktop — ext {settings.extension}"
            if settings.extension
            else "Intulse Desktop — set your extension in Settings"
        ]
        if self.receiver_problem:
            lines.append(f"Not receiving webhooks: {self.receiver_problem}")
        hub_state = self.service.hub_state
        hub_problem = hub_state is not None and hub_state[0] in ("reconnecting", "rejected")
        if hub_state is not None:
            state_of_hub, detail = hub_state
            lines.append(HUB_WORDS[state_of_hub] + (f" — {detail}" if detail else ""))
        if self.tunnel is not None:
            lines.append(str(self.tunnel.state))
        if presence:
            lines.append(self._presence_text(presence[0]))
        if settings.do_not_disturb:
            lines.append("Do not disturb")
        if missed:
            lines.append(f"{missed} missed call{'s' if missed != 1 else ''}")
        lines.append(
            f"Last event {local_time_short(self.last_event)}" if self.last_event else "No events yet"
        )
        icon = tray_icon(RECEIVER_PROBLEM if self.receiver_problem or hub_problem else state, missed)
        self.tray.set_state(icon, "\n".join(lines))

    def _presence_text(self, presence: PresenceRow) -> str:
        words = (
            presence.state.words
            if presence.state is not PhoneState.UNKNOWN
            else f"Unknown ({no_markup(presence.status)})"
        )
        if not presence.state.connected:  # the tray refreshes on every delivery: no contact lookup when idle
            return words
        number = format_number(presence.connected_line_number, self.settings.default_region)
        name = caller_name(self.store, presence.connected_line_number, presence.connected_line_name).line()
        other = no_markup(" ".join(filter(None, [name, number])))
        return f"{words} with {other}" if other else words
