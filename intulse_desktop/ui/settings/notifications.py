"""The Notifications tab: which events pop up, the sounds, where cards go, and quiet hours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
)

from intulse_desktop.settings import CARD_SECONDS_MAX, DAYS, Settings
from intulse_desktop.ui.cards import CORNERS
from intulse_desktop.ui.settings.form import Page, Section, note, qtime, time_of, wrap
from intulse_desktop.ui.settings.inputs import NumberList

DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
PlaySound = Callable[[str, float], object]
STYLES = (
    ("Automatic", "auto"),
    ("Cards", "cards"),
    ("System notifications", "notifications"),
)  # kind ("ring", "missed", "text"), volume 0..1


class PopupsBox(Section):
    def __init__(self) -> None:
        super().__init__("Pop up a card for")
        self.popup = {
            "popup_inbound": QCheckBox("Incoming calls"),
            "popup_outbound": QCheckBox("My outbound calls"),
            "popup_missed": QCheckBox("Missed calls (the card stays until dismissed)"),
            "popup_text": QCheckBox("Texts to my numbers"),
        }
        for key, box in self.popup.items():
            self.content.addWidget(self.field(key, box))

    def load(self, settings: Settings) -> None:
        for key, box in self.popup.items():
            box.setChecked(getattr(settings, key))

    def values(self) -> dict[str, Any]:
        return {key: box.isChecked() for key, box in self.popup.items()}


class SoundsBox(Section):
    def __init__(self, play_sound: PlaySound) -> None:
        super().__init__("Play a sound when")
        self._play_sound = play_sound
        self.sound = {
            "sound_ring": QCheckBox("A call rings"),
            "sound_missed": QCheckBox("A call was missed"),
            "sound_text": QCheckBox("A text arrives"),
        }
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume_label = QLabel()
        self.volume.valueChanged.connect(lambda v: self.volume_label.setText(f"{v} %"))
        grid = QGridLayout()
        for row, (key, box) in enumerate(self.sound.items()):
            kind = key.removeprefix("sound_")
            play = QPushButton("▶ Play")
            play.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            play.setToolTip("Hear it at the volume below")
            play.clicked.connect(lambda _=False, kind=kind: self.play(kind))
            grid.addWidget(self.field(key, box), row, 0)
            grid.addWidget(play, row, 1)
        volume_row = QHBoxLayout()
        volume_row.addWidget(QLabel("Volume"))
        volume_row.addWidget(self.volume, 1)
        volume_row.addWidget(self.volume_label)
        self.content.addLayout(grid)
        self.content.addWidget(self.field("sound_volume", wrap(volume_row)))
        self.watch(self.volume)

    def play(self, kind: str) -> None:
        self._play_sound(kind, self.volume.value() / 100)

    def load(self, settings: Settings) -> None:
        for key, box in self.sound.items():
            box.setChecked(getattr(settings, key))
        self.volume.setValue(settings.sound_volume)
        self.volume_label.setText(f"{settings.sound_volume} %")

    def values(self) -> dict[str, Any]:
        return {
            **{key: box.isChecked() for key, box in self.sound.items()},
            "sound_volume": self.volume.value(),
        }


class CardsBox(Section):
    def __init__(self) -> None:
        super().__init__("Cards")
        self.shown_as = QComboBox()
        for text, style in STYLES:
            self.shown_as.addItem(text, style)
        self.seconds = QSpinBox()
        self.seconds.setRange(0, CARD_SECONDS_MAX)  # 0: until dismissed
        self.seconds.setSpecialValueText("until dismissed")
        self.seconds.setSuffix(" s")
        self.corner = QComboBox()
        for corner in CORNERS:
            self.corner.addItem(corner.replace("-", " ").capitalize(), corner)
        self.screens = QComboBox()
        form = self.form()
        form.addRow(
            "Show calls as",
            self.field(
                "popup_style",
                self.shown_as,
                "Automatic: the desktop's notifications in a Wayland session, where a card would take "
                "the keyboard; cards elsewhere. Windows and macOS always show cards.",
            ),
        )
        form.addRow(
            "A card stays",
            self.field(
                "card_seconds",
                self.seconds,
                "Texts and ended calls; a ringing call stays while it rings, a missed call until dismissed.",
            ),
        )
        form.addRow("Corner", self.field("card_corner", self.corner))
        form.addRow("Screen", self.field("card_screen", self.screens))

    def load(self, settings: Settings) -> None:
        self.shown_as.setCurrentIndex(self.shown_as.findData(settings.popup_style))
        self.seconds.setValue(settings.card_seconds or 0)
        self.corner.setCurrentIndex(self.corner.findData(settings.card_corner))
        self.screens.clear()
        self.screens.addItem("The screen the mouse is on", None)
        for screen in QGuiApplication.screens():
            if screen.name():
                size = screen.size()
                self.screens.addItem(f"{screen.name()} ({size.width()}×{size.height()})", screen.name())
        if settings.card_screen and self.screens.findData(settings.card_screen) < 0:
            self.screens.addItem(f"{settings.card_screen} (not connected now)", settings.card_screen)
        self.screens.setCurrentIndex(max(0, self.screens.findData(settings.card_screen)))

    def values(self) -> dict[str, Any]:
        return {
            "popup_style": self.shown_as.currentData(),
            "card_seconds": self.seconds.value() or None,
            "card_corner": self.corner.currentData(),
            "card_screen": self.screens.currentData(),
        }


class QuietHoursBox(Section):
    def __init__(self, region: Callable[[], str]) -> None:
        super().__init__("Quiet hours")
        self.quiet = QCheckBox("Quiet hours: no pop-ups and no sounds (everything is still logged)")
        self.days = {day: QCheckBox(DAY_NAMES[day]) for day in DAYS}
        self.start = QTimeEdit()
        self.end = QTimeEdit()
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
        self.quiet_summary = note()
        self.breakthrough = NumberList(region, "a number, any format")
        self.content.addWidget(self.field("quiet_hours", self.quiet))
        days_row = QHBoxLayout()
        for box in self.days.values():
            days_row.addWidget(box)
            self.watch(box)
        days_row.addStretch(1)
        times_row = QHBoxLayout()
        times_row.addWidget(QLabel("from"))
        times_row.addWidget(self.field("quiet_start", self.start))
        times_row.addWidget(QLabel("to"))
        times_row.addWidget(self.field("quiet_end", self.end))
        times_row.addStretch(1)
        self.content.addWidget(self.field("quiet_days", wrap(days_row)))
        self.content.addLayout(times_row)
        self.content.addWidget(self.quiet_summary)
        self.content.addWidget(QLabel("Numbers that always pop up, even in quiet hours and do-not-disturb:"))
        self.content.addWidget(self.field("breakthrough_numbers", self.breakthrough))
        self.quiet.toggled.connect(self._quiet_toggled)
        self.edited.connect(self._summarise)

    def load(self, settings: Settings) -> None:
        self.quiet.setChecked(settings.quiet_hours)
        for day, box in self.days.items():
            box.setChecked(day in settings.quiet_days)
        self.start.setTime(qtime(settings.quiet_start))
        self.end.setTime(qtime(settings.quiet_end))
        self.breakthrough.set_numbers(settings.breakthrough_numbers)
        self._quiet_toggled(settings.quiet_hours)
        self._summarise()

    def values(self) -> dict[str, Any]:
        return {
            "quiet_hours": self.quiet.isChecked(),
            "quiet_days": [day for day, box in self.days.items() if box.isChecked()],
            "quiet_start": time_of(self.start),
            "quiet_end": time_of(self.end),
            "breakthrough_numbers": self.breakthrough.numbers(),
        }

    def problems(self, candidate: Settings | None) -> dict[str, str]:
        problem = self.breakthrough.entry_problem()
        return {"breakthrough_numbers": problem} if problem else {}

    def _quiet_toggled(self, on: bool) -> None:
        for widget in [*self.days.values(), self.start, self.end]:
            widget.setEnabled(on)

    def _summarise(self) -> None:
        days = [day for day, box in self.days.items() if box.isChecked()]
        start, end = self.start.time().toString("HH:mm"), self.end.time().toString("HH:mm")
        if not self.quiet.isChecked() or not days:
            text = "Off: cards pop up at any time." if not self.quiet.isChecked() else ""
        elif start == end:
            text = f"All day on {_day_list(days)}."
        else:
            after = " the next day" if self.end.time() < self.start.time() else ""
            text = f"On {_day_list(days)} from {start} to {end}{after}."
        self.quiet_summary.setText(text)


class NotificationsPage(Page):
    title = "Notifications"

    def __init__(self, play_sound: PlaySound, saved_region: Callable[[], str]) -> None:
        super().__init__()
        pops, sounds, cards = PopupsBox(), SoundsBox(play_sound), CardsBox()
        quiet = QuietHoursBox(saved_region)
        self.add_parts(pops, sounds, cards, quiet)
        # the fields by name, as the dialog's tests reach them
        self.popup, self.sound, self.volume = pops.popup, sounds.sound, sounds.volume
        self.popup_style, self.seconds, self.corner = cards.shown_as, cards.seconds, cards.corner
        self.quiet, self.days, self.start, self.end = quiet.quiet, quiet.days, quiet.start, quiet.end
        self.quiet_summary, self.breakthrough = quiet.quiet_summary, quiet.breakthrough

        left = QVBoxLayout()
        for box in (pops, sounds, cards):
            left.addWidget(box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(quiet)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)


def _day_list(days: list[str]) -> str:
    if days == list(DAYS):
        return "every day"
    if days == list(DAYS[:5]):
        return "Mon–Fri"
    return ", ".join(DAY_NAMES[d] for d in days)
