"""Pop-up cards for calls and texts, stacked in a corner of the screen.

A card never takes the keyboard (a receptionist is typing when the phone
rings), shows untrusted names and bodies as plain text only, and tells which
card was clicked, which ``QSystemTrayIcon.showMessage`` cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, get_args

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QGuiApplication, QKeyEvent, QMouseEvent, QScreen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QMenu, QPushButton, QToolButton, QVBoxLayout

from intulse_desktop.events import CallCompleted, CallStarted, TextMessageReceived
from intulse_desktop.formatting import format_duration, without_bidi_controls
from intulse_desktop.settings import Corner
from intulse_desktop.ui.a11y import announce, speak_as_notification
from intulse_desktop.ui.overflow import CARD_WINDOW, MoreCard, fitting
from intulse_desktop.ui.palette import state_color
from intulse_desktop.ui.widgets import elided_label, plain_label

CARD_WIDTH = 340
MARGIN = 12
MAX_CARDS = 6
RINGING_LIMIT_MS = 5 * 60 * 1000  # a call whose end never arrives does not ring forever
BODY_LINES = 4
NAME_LINES = 2
TEXT_WIDTH = CARD_WIDTH - 34  # inside the margins and the accent border
CORNERS: tuple[Corner, ...] = get_args(Corner)


@dataclass(frozen=True)
class CardActions:
    """What a card's buttons do; the controller supplies them."""

    copy: Callable[[], None]
    call_back: Callable[[], None]
    crm: Callable[[], None] | None  # None: no CRM template set, no button
    # the address book's entries for the number ("Add to contacts", "Mark VIP"), asked when shown
    contact: Callable[[], list[tuple[str, Callable[[], object]]]] | None = None


@dataclass(frozen=True)
class Pop:
    """What a pop-up shows and does, whoever draws it (a card, or a desktop notification)."""

    name: str  # the caller, or a text's sender
    number: str  # as shown
    line: str  # "Ext 204 · Alice", or "To (317) 555-0100"
    actions: CardActions
    open_details: Callable[[], None]  # a click on the pop-up
    seen: Callable[[], None]  # the user dismissed a missed call: only this marks it seen
    carrier: str = ""  # caller ID beside a contact's name


class Popups(Protocol):
    """How the Desktop shows calls and texts: ``CardStack`` here, or ``ui.notifications``."""

    def show_call(self, call: CallStarted | CallCompleted, pop: Pop, linger_ms: int | None) -> None: ...

    def complete(self, call: CallCompleted, linger_ms: int | None) -> bool:
        """Update the call's pop-up in place; False if none shows."""
        ...

    def show_text(self, text: TextMessageReceived, pop: Pop, linger_ms: int | None) -> None: ...

    def place(self, corner: str, screen: str | None) -> None: ...

    def close_all(self) -> None:
        """Quitting or logging out: close without marking anything seen."""
        ...


def no_markup(text: str) -> str:
    """Untrusted text for the tray's tooltip: plain text on some platforms, rich on others, so
    no tag may survive either way."""
    return without_bidi_controls(text).replace("<", "‹").replace(">", "›")


def local_clock(value: datetime) -> str:
    return value.astimezone().strftime("%H:%M")


class Card(QFrame):
    clicked = Signal()
    dismissed = Signal()  # by the user (✕, or a click that opened the details): seen
    closed = Signal()  # any way: dismissed, expired, pushed out, or the app quitting

    def __init__(self, heading: str, when: datetime, actions: CardActions) -> None:
        super().__init__(None)
        self.setWindowFlags(CARD_WINDOW)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFixedWidth(CARD_WIDTH)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._expiry = QTimer(self)
        self._expiry.setSingleShot(True)
        self._expiry.timeout.connect(self.discard)
        self._paused: int | None = None  # time left when the pointer came to rest on the card
        self.card_actions = actions
        self.who = ""  # whom the card is about, as "Call back" names them

        self.heading = plain_label(heading, "heading")
        self.clock = plain_label(local_clock(when), "clock")
        self.clock.setWordWrap(False)
        close = self._button("✕", self.dismiss, "Dismiss")
        close.setAccessibleName("Dismiss")
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.clock)
        top.addWidget(close)

        self.lines = QVBoxLayout()
        self.buttons = QHBoxLayout()
        self.buttons.addWidget(self._button("Copy number", actions.copy))
        self.buttons.addWidget(self._button("Call back", actions.call_back))
        if actions.crm is not None:
            self.buttons.addWidget(self._button("Open in CRM", actions.crm))
        self.buttons.addStretch(1)
        if actions.contact is not None:
            self.contact_menu = self._contact_button(actions.contact)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 10, 10)
        layout.addLayout(top)
        layout.addLayout(self.lines)
        layout.addLayout(self.buttons)

    def _button(self, text: str, action: Callable[[], None], tip: str = "") -> QPushButton:
        button = QPushButton(text)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # only once the user has come to the card
        button.setCursor(Qt.CursorShape.ArrowCursor)
        button.setToolTip(tip)
        button.clicked.connect(action)
        if text == "✕":
            button.setObjectName("dismiss")
            button.setFlat(True)
            button.setFixedWidth(28)
        return button

    def _contact_button(self, entries: Callable[[], list[tuple[str, Callable[[], object]]]]) -> QMenu:
        """A "⋯" button whose menu holds the address book's entries, read when it opens."""
        menu = QMenu(self)

        def fill() -> None:
            menu.clear()
            for text, action in entries():
                menu.addAction(text).triggered.connect(action)

        menu.aboutToShow.connect(fill)
        button = QToolButton()
        button.setObjectName("contact")
        button.setText("⋯")
        button.setToolTip("Add to contacts, edit the name, mark VIP")
        button.setAccessibleName("Contact")
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # only once the user has come to the card
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setMenu(menu)
        self.buttons.addWidget(button)
        return menu

    def set_accent(self, key: str) -> None:
        accent = state_color(key, self.palette())
        self.setStyleSheet(
            f"Card {{ border: 1px solid palette(mid); border-left: 5px solid {accent};"
            " background: palette(window); }"
            " QLabel#name { font-size: 15pt; font-weight: 600; }"
            " QLabel#heading, QLabel#clock { color: palette(placeholder-text); }"
            f" QLabel#status {{ color: {accent}; font-weight: 600; }}"
            " QPushButton:focus { border: 2px solid palette(highlight); }"
        )

    def take_focus(self) -> None:
        """The user asked for the card from the keyboard: only now may it take the keyboard,
        its first button focused (Tab moves on, Escape dismisses)."""
        self.setWindowFlag(Qt.WindowType.WindowDoesNotAcceptFocus, False)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, False)
        self.show()  # a changed flag hides the window
        self.raise_()
        self.activateWindow()
        self.focusNextChild()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.dismiss()
        else:
            super().keyPressEvent(event)

    def expire_in(self, ms: int | None) -> None:
        """Close after ``ms`` (``None``: stay until dismissed)."""
        if ms is None:
            self._expiry.stop()
        else:
            self._expiry.start(ms)

    def dismiss(self) -> None:
        """The user's own dismiss."""
        self.dismissed.emit()
        self.discard()

    def discard(self) -> None:
        """Close without the user: expired, pushed out of the stack, or the app quitting."""
        self._expiry.stop()
        self.hide()
        self.closed.emit()
        self.deleteLater()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    # A card the pointer rests on does not vanish under it.
    def enterEvent(self, event: object) -> None:
        self._paused = self._expiry.remainingTime() if self._expiry.isActive() else None
        self._expiry.stop()

    def leaveEvent(self, event: object) -> None:
        if self._paused is not None:
            self._expiry.start(max(self._paused, 2000))
            self._paused = None


class CallCard(Card):
    def __init__(
        self,
        call: CallStarted | CallCompleted,
        name: str,
        number: str,
        line: str,
        actions: CardActions,
        carrier: str = "",
    ) -> None:
        """``name`` leads (a contact's, else caller ID); ``carrier``: caller ID beside a contact's name."""
        heading = "Incoming call" if call.direction == "inbound" else "Outgoing call"
        super().__init__(heading, call.start_utc, actions)
        self.call_id = call.id
        self.name = elided_label(name, "name", NAME_LINES, TEXT_WIDTH)
        self.carrier = elided_label(f"Caller ID: {carrier}", "carrier", 1, TEXT_WIDTH)
        self.carrier.setVisible(bool(carrier))
        self.number = elided_label(number, "number", 1, TEXT_WIDTH)
        self.line = elided_label(line, "line", NAME_LINES, TEXT_WIDTH)
        self.status = plain_label("Ringing…", "status")
        for label in (self.name, self.carrier, self.number, self.line, self.status):
            self.lines.addWidget(label)
        self.missed = False
        self.who = self.name.whole
        self.set_accent("ringing")
        self._name_as(heading)
        self.expire_in(RINGING_LIMIT_MS)

    def complete(self, call: CallCompleted, linger_ms: int | None) -> None:
        """The call ended: the card says how, in place; a missed call stays until dismissed."""
        self.missed = call.outcome == "missed"
        if call.outcome == "answered":
            self.status.setText(f"Answered · {format_duration(call.duration_in_seconds)}")
            self.set_accent("answered")
        elif self.missed:
            self.heading.setText("Missed call")
            self._name_as("Missed call")
            self.status.setText("Missed")
            self.set_accent("missed")
        else:
            self.status.setText("Not answered")
            self.set_accent("ended")
        self.expire_in(None if self.missed else linger_ms)

    def _name_as(self, heading: str) -> None:
        """What a screen reader says: "Incoming call from ACME PLUMBING, (317) 555-0142"."""
        self.setAccessibleName(f"{heading} from {self.name.whole}, {self.number.whole}")


class TextCard(Card):
    def __init__(self, text: TextMessageReceived, sender: str, to: str, actions: CardActions) -> None:
        super().__init__("Text message", text.created_utc, actions)
        self.sender_label = elided_label(sender, "name", NAME_LINES, TEXT_WIDTH)
        self.to = elided_label(to, "line", 1, TEXT_WIDTH)
        self.body = elided_label(text.body, "body", BODY_LINES, TEXT_WIDTH)
        for label in (self.sender_label, self.to, self.body):
            self.lines.addWidget(label)
        count = len(text.attachments)
        if count:
            self.lines.addWidget(plain_label(f"{count} attachment{'s' if count != 1 else ''}", "attachments"))
        self.set_accent("text")
        self.who = self.sender_label.whole
        self.setAccessibleName(f"Text message from {self.sender_label.whole}")


def first_lines(body: str) -> str:
    """A text's first ``BODY_LINES`` lines, each cut at 120 characters, "…" where more was left."""
    lines = body.strip().splitlines()[:BODY_LINES]
    text = "\n".join(line[:120] for line in lines)
    return text + ("…" if len(lines) == BODY_LINES or len(body) > len(text) + BODY_LINES else "")


class CardStack:
    """Cards in a corner of the chosen screen (else the mouse's), newest nearest the corner.

    The stack never leaves the screen: the cards it has no room for collapse into one "+N more"
    card (which opens the call log); missed calls are the last to go."""

    def __init__(self, corner: str, screen: str | None, open_log: Callable[[], None]) -> None:
        self.corner = corner
        self.screen = screen  # a QScreen's name; one not connected now means the mouse's screen
        self.cards: list[Card] = []
        self.more = MoreCard(open_log, CARD_WIDTH)
        speak_as_notification(Card)
        self.arranged: Callable[[], None] | None = None  # told after every change to the stack

    def place(self, corner: str, screen: str | None) -> None:
        self.corner, self.screen = corner, screen
        self.arrange()

    def show(self, card: Card) -> None:
        self.cards.append(card)
        card.closed.connect(lambda: self._forget(card))
        while len(self.cards) > MAX_CARDS:  # the oldest goes, but never a missed call nor this one
            oldest = next((c for c in self.cards[:-1] if not getattr(c, "missed", False)), None)
            if oldest is None:
                break
            oldest.discard()  # pushed out, not seen
        card.adjustSize()
        card.show()
        self.arrange()
        announce(card, card.accessibleName())

    def show_call(self, call: CallStarted | CallCompleted, pop: Pop, linger_ms: int | None) -> None:
        card = CallCard(call, pop.name, pop.number, pop.line, pop.actions, carrier=pop.carrier)
        card.clicked.connect(lambda: self._clicked(card, pop))
        card.dismissed.connect(lambda: self._dismissed(card, pop))
        if isinstance(call, CallCompleted):
            card.complete(call, linger_ms)
        self.show(card)

    def complete(self, call: CallCompleted, linger_ms: int | None) -> bool:
        card = self.call_card(call.id)
        if card is None:
            return False
        card.complete(call, linger_ms)
        self.arrange()
        return True

    def show_text(self, text: TextMessageReceived, pop: Pop, linger_ms: int | None) -> None:
        card = TextCard(text, pop.name, pop.line, pop.actions)
        card.clicked.connect(lambda: self._clicked(card, pop))
        card.expire_in(linger_ms)
        self.show(card)

    @staticmethod
    def _dismissed(card: CallCard, pop: Pop) -> None:
        if card.missed:
            pop.seen()

    @staticmethod
    def _clicked(card: Card, pop: Pop) -> None:
        pop.open_details()
        if isinstance(card, CallCard) and card.missed:
            card.dismiss()  # seen: shown in full in the details window

    def call_card(self, call_id: str) -> CallCard | None:
        return next((c for c in self.cards if isinstance(c, CallCard) and c.call_id == call_id), None)

    def _forget(self, card: Card) -> None:
        if card in self.cards:
            self.cards.remove(card)
            self.arrange()

    def _screen(self) -> QScreen | None:
        named = next((s for s in QGuiApplication.screens() if s.name() == self.screen), None)
        return named or QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()

    def arrange(self) -> None:
        screen = self._screen()
        area = screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 800)
        top = self.corner.startswith("top")
        left = self.corner.endswith("left")
        x = area.left() + MARGIN if left else area.right() - CARD_WIDTH - MARGIN
        y = area.top() + MARGIN if top else area.bottom() - MARGIN
        shown = self._room_for(area.height() - MARGIN)
        for card in reversed(self.cards):  # the newest nearest the corner
            if card not in shown:
                card.hide()
                continue
            height = card.sizeHint().height()
            if not top:
                y -= height
            card.move(QPoint(x, y))
            card.show()
            y = y + height + MARGIN if top else y - MARGIN
        hidden = len(self.cards) - len(shown)
        self.more.setVisible(bool(hidden))
        if hidden:
            self.more.set_count(hidden)
            self.more.move(QPoint(x, y if top else y - self.more.height()))
        if self.arranged is not None:
            self.arranged()

    def _room_for(self, height: int) -> list[Card]:
        """The cards that fit in ``height`` (see ``overflow.fitting``)."""
        newest_first = list(reversed(self.cards))
        heights = [(card.sizeHint().height(), getattr(card, "missed", False)) for card in newest_first]
        more = self.more.sizeHint().height()
        return [newest_first[i] for i in fitting(heights, height, more, MARGIN)]

    def close_all(self) -> None:
        for card in list(self.cards):
            card.discard()
        self.more.hide()

    def dismiss_all(self) -> None:
        """The user's "Dismiss all": as if each ✕ was pressed (missed calls count as seen)."""
        for card in list(self.cards):
            card.dismiss()
