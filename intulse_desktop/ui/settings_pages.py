"""The Settings tabs that only edit settings: Me, Notifications, Integrations, General.
(Connection, which also acts — registers, tests, regenerates — is in ``settings_connection``.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop import autostart
from intulse_desktop.links import CALL_BACK_TEMPLATES, PLACEHOLDERS, TemplateError, check_template, fill
from intulse_desktop.matching import digits
from intulse_desktop.samples import TEST_NUMBER
from intulse_desktop.settings import CARD_SECONDS_MAX, DAYS, Settings
from intulse_desktop.ui.cards import CORNERS
from intulse_desktop.ui.settings_form import CountryCombo, NumberList, Page, group, note, qtime, time_of

if TYPE_CHECKING:
    from intulse_desktop.ui.desktop import Desktop

SAMPLE_NAME = "ACME Plumbing & Sons"  # the "&" shows that values are URL-encoded
SAMPLE_CALL_ID = "1764130211.5512"
DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
PAGE_WIDTH = 760  # a form wider than this only spreads the eye


class MePage(Page):
    title = "Me"

    def __init__(self, desktop: Desktop) -> None:
        super().__init__(desktop)
        self.extension = QLineEdit()
        self.extension.setPlaceholderText("e.g. 204")
        self.country = CountryCombo()
        self.numbers = NumberList(self.region)
        self.user_id = QLineEdit()
        self.user_id.setPlaceholderText("optional")
        self.country.currentTextChanged.connect(self.numbers.reformat)

        form = _form_page(self)
        form.addRow(
            "My extension", self.field("extension", self.extension, "Calls to this extension pop up.")
        )
        form.addRow(
            "My numbers",
            self.field(
                "my_numbers",
                self.numbers,
                "Texts to these numbers pop up; any format, e.g. +44 20 7946 0958.",
            ),
        )
        form.addRow(
            "Default country",
            self.field(
                "default_region", self.country, "For numbers written without a country code. Type to search."
            ),
        )
        form.addRow(
            "Intulse user id",
            self.field("user_id", self.user_id, "Optional: calls for this user pop up on any extension."),
        )

    def region(self) -> str:
        return self.country.code() or self.desktop.settings.default_region

    def load(self, settings: Settings) -> None:
        self.extension.setText(settings.extension)
        self.country.set_code(settings.default_region)
        self.numbers.set_numbers(settings.my_numbers)
        self.user_id.setText("" if settings.user_id is None else str(settings.user_id))

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "extension": self.extension.text(),
            "my_numbers": self.numbers.numbers(),
            "user_id": self.user_id.text().strip() or None,
        }
        if self.country.code():
            values["default_region"] = self.country.code()
        return values

    def problems(self, candidate: Settings | None) -> dict[str, str]:
        problems = {}
        if self.country.code() is None:
            problems["default_region"] = "choose a country from the list"
        if self.numbers.entry_problem():
            problems["my_numbers"] = self.numbers.entry_problem()
        return problems


class NotificationsPage(Page):
    title = "Notifications"

    def __init__(self, desktop: Desktop) -> None:
        super().__init__(desktop)
        self.popup = {
            "popup_inbound": QCheckBox("Incoming calls"),
            "popup_outbound": QCheckBox("My outbound calls"),
            "popup_missed": QCheckBox("Missed calls (the card stays until dismissed)"),
            "popup_text": QCheckBox("Texts to my numbers"),
        }
        pops, pops_layout = group("Pop up a card for")
        for key, box in self.popup.items():
            pops_layout.addWidget(self.field(key, box))

        self.sound = {
            "sound_ring": QCheckBox("A call rings"),
            "sound_missed": QCheckBox("A call was missed"),
            "sound_text": QCheckBox("A text arrives"),
        }
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume_label = QLabel()
        self.volume.valueChanged.connect(lambda v: self.volume_label.setText(f"{v} %"))
        sounds, sounds_layout = group("Play a sound when")
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
        sounds_layout.addLayout(grid)
        sounds_layout.addWidget(self.field("sound_volume", _wrap(volume_row)))
        self.watch(self.volume)

        self.seconds = QSpinBox()
        self.seconds.setRange(0, CARD_SECONDS_MAX)  # 0: until dismissed
        self.seconds.setSpecialValueText("until dismissed")
        self.seconds.setSuffix(" s")
        self.corner = QComboBox()
        for corner in CORNERS:
            self.corner.addItem(corner.replace("-", " ").capitalize(), corner)
        self.screen = QComboBox()
        cards, cards_form = _form_group("Cards")
        cards_form.addRow(
            "A card stays",
            self.field(
                "card_seconds",
                self.seconds,
                "Texts and ended calls; a ringing call stays while it rings, a missed call until dismissed.",
            ),
        )
        cards_form.addRow("Corner", self.field("card_corner", self.corner))
        cards_form.addRow("Screen", self.field("card_screen", self.screen))

        self.quiet = QCheckBox("Quiet hours: no pop-ups and no sounds (everything is still logged)")
        self.days = {day: QCheckBox(DAY_NAMES[day]) for day in DAYS}
        self.start = QTimeEdit()
        self.end = QTimeEdit()
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
        self.quiet_summary = note()
        self.breakthrough = NumberList(lambda: self.desktop.settings.default_region, "a number, any format")
        quiet, quiet_layout = group("Quiet hours")
        quiet_layout.addWidget(self.field("quiet_hours", self.quiet))
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
        quiet_layout.addWidget(self.field("quiet_days", _wrap(days_row)))
        quiet_layout.addLayout(times_row)
        quiet_layout.addWidget(self.quiet_summary)
        quiet_layout.addWidget(QLabel("Numbers that always pop up, even in quiet hours and do-not-disturb:"))
        quiet_layout.addWidget(self.field("breakthrough_numbers", self.breakthrough))
        self.quiet.toggled.connect(self._quiet_toggled)
        self.edited.connect(self._summarise)

        left = QVBoxLayout()
        left.addWidget(pops)
        left.addWidget(sounds)
        left.addWidget(cards)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(quiet)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)

    def play(self, kind: str) -> None:
        self.desktop.sounds.play(kind, self.volume.value() / 100)

    def load(self, settings: Settings) -> None:
        for key, box in {**self.popup, **self.sound}.items():
            box.setChecked(getattr(settings, key))
        self.volume.setValue(settings.sound_volume)
        self.volume_label.setText(f"{settings.sound_volume} %")
        self.seconds.setValue(settings.card_seconds or 0)
        self.corner.setCurrentIndex(self.corner.findData(settings.card_corner))
        self.screen.clear()
        self.screen.addItem("The screen the mouse is on", None)
        for screen in QGuiApplication.screens():
            if screen.name():
                size = screen.size()
                self.screen.addItem(f"{screen.name()} ({size.width()}×{size.height()})", screen.name())
        if settings.card_screen and self.screen.findData(settings.card_screen) < 0:
            self.screen.addItem(f"{settings.card_screen} (not connected now)", settings.card_screen)
        self.screen.setCurrentIndex(max(0, self.screen.findData(settings.card_screen)))
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
            **{key: box.isChecked() for key, box in {**self.popup, **self.sound}.items()},
            "sound_volume": self.volume.value(),
            "card_seconds": self.seconds.value() or None,
            "card_corner": self.corner.currentData(),
            "card_screen": self.screen.currentData(),
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


class IntegrationsPage(Page):
    title = "Integrations"

    def __init__(
        self, desktop: Desktop, extension: Callable[[], str], has_api_key: Callable[[], bool]
    ) -> None:
        super().__init__(desktop)
        self._extension = extension
        self._has_api_key = has_api_key
        self.crm = QLineEdit()
        self.crm.setPlaceholderText("e.g. https://crm.example.com/search?phone={number}")
        self.crm_preview = note(selectable=True)
        self.method = QComboBox()
        self.method.addItem("Phone app on this computer (tel:)", "tel")
        self.method.addItem("SIP softphone (sip:)", "sip")
        self.method.addItem("callto: (Skype and other dialers)", "callto")
        self.method.addItem("A URL template of my own", "custom")
        self.method.addItem("Intulse click-to-call (my desk phone rings, then dials)", "click-to-call")
        self.template = QLineEdit()
        self.call_back_preview = note(selectable=True)
        self._custom = ""  # what was typed for "custom", kept while a preset is chosen
        self.template.textEdited.connect(self._typed_template)
        self.method.currentIndexChanged.connect(self._method_chosen)

        placeholders = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        crm, crm_form = _form_group("Open in CRM")
        crm_form.addRow(
            "URL template",
            self.field(
                "crm_url_template",
                self.crm,
                f"Placeholders: {placeholders} (URL-encoded). Empty: no CRM button.",
            ),
        )
        crm_form.addRow("For a sample call", self.crm_preview)
        call_back, call_back_form = _form_group("Call back")
        call_back_form.addRow("Call back with", self.field("call_back_method", self.method))
        call_back_form.addRow(
            "URL template",
            self.field("call_back_url_template", self.template, f"Placeholders: {placeholders}."),
        )
        call_back_form.addRow("For a sample call", self.call_back_preview)
        column = QWidget()
        column.setMaximumWidth(PAGE_WIDTH)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(crm)
        inner.addWidget(call_back)
        layout = QVBoxLayout(self)
        layout.addWidget(column)
        layout.addStretch(1)

    def load(self, settings: Settings) -> None:
        self.crm.setText(settings.crm_url_template or "")
        template = settings.call_back_url_template
        preset = next((k for k, v in CALL_BACK_TEMPLATES.items() if v == template), None)
        self._custom = "" if preset else template
        choice = "click-to-call" if settings.call_back_method == "click-to-call" else preset or "custom"
        self.method.setCurrentIndex(self.method.findData(choice))
        self.template.setText(template)
        self._method_chosen()

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {"crm_url_template": self.crm.text().strip() or None}
        choice = self.method.currentData()
        if choice == "click-to-call":
            values["call_back_method"] = "click-to-call"
        else:
            values["call_back_method"] = "url"
            values["call_back_url_template"] = self.template.text().strip()
        return values

    def problems(self, candidate: Settings | None) -> dict[str, str]:
        problems = {}
        choice = self.method.currentData()
        if choice == "custom" and not self.template.text().strip():
            problems["call_back_url_template"] = (
                "enter a URL template, e.g. https://dialer.example.com/?n={number}"
            )
        if choice == "click-to-call":
            if not self._extension().strip():
                problems["call_back_method"] = (
                    "click-to-call rings my extension first: enter it on the Me tab"
                )
            elif not self._has_api_key():
                problems["call_back_method"] = "click-to-call needs the Intulse API key (Connection tab)"
        return problems

    def _typed_template(self, text: str) -> None:
        if self.method.currentData() == "custom":
            self._custom = text

    def _method_chosen(self) -> None:
        choice = self.method.currentData()
        self.template.setEnabled(choice == "custom")
        self.template.setVisible(choice != "click-to-call")
        if choice in CALL_BACK_TEMPLATES:
            self.template.setText(CALL_BACK_TEMPLATES[choice])
        elif choice == "custom":
            self.template.setText(self._custom)

    def preview(self, candidate: Settings | None) -> None:
        sample = {
            "number": TEST_NUMBER,
            "name": SAMPLE_NAME,
            "extension": self._extension().strip() or "204",
            "call_id": SAMPLE_CALL_ID,
        }
        self.crm_preview.setText(_filled(self.crm.text(), sample) or "No “Open in CRM” button on cards.")
        if self.method.currentData() == "click-to-call":
            self.call_back_preview.setText(
                f"Intulse rings extension {sample['extension']}; when it is picked up, it dials "
                f"{digits(TEST_NUMBER)}. The result shows as a notification."
            )
        else:
            self.call_back_preview.setText(_filled(self.template.text(), sample))


class GeneralPage(Page):
    title = "General"

    def __init__(self, desktop: Desktop) -> None:
        super().__init__(desktop)
        self.autostart = QCheckBox("Start Intulse Desktop when I log in")
        self.retention = QSpinBox()
        self.retention.setRange(0, 36500)
        self.retention.setSpecialValueText("keep everything")
        self.retention.setSuffix(" days")
        self.log_level = QComboBox()
        self.log_level.addItem("Warnings and errors only", "WARNING")
        self.log_level.addItem("Normal", "INFO")
        self.log_level.addItem("Detailed, for troubleshooting", "DEBUG")
        paths = desktop.paths
        self.open_data = QPushButton("Open data folder")
        self.open_data.clicked.connect(lambda: desktop.open_folder(paths.data_dir))

        form = _form_page(self)
        form.addRow("", self.field("autostart", self.autostart))
        form.addRow("Keep the call log", self.field("retention_days", self.retention))
        form.addRow("Log", self.field("log_level", self.log_level, f"Written to {paths.log_file}"))
        form.addRow("Data folder", note(str(paths.data_dir), selectable=True))
        form.addRow("Settings file", note(str(paths.settings_file), selectable=True))
        form.addRow("Secrets", note(f"in {desktop.secrets.location}", selectable=True))
        form.addRow("", self.open_data)
        self.open_data.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def load(self, settings: Settings) -> None:
        self.autostart.setChecked(autostart.is_enabled())  # the login item itself is the setting
        self.retention.setValue(settings.retention_days or 0)
        self.log_level.setCurrentIndex(self.log_level.findData(settings.log_level))

    def values(self) -> dict[str, Any]:
        return {"retention_days": self.retention.value() or None, "log_level": self.log_level.currentData()}

    def pending(self) -> bool:
        return self.autostart.isChecked() != autostart.is_enabled()

    def commit(self) -> None:
        if self.pending():
            (autostart.enable if self.autostart.isChecked() else autostart.disable)()


def _filled(template: str, sample: dict[str, str]) -> str:
    """The template filled for the sample call; "" when it is empty or refused (its reason says why)."""
    try:
        return fill(check_template(template.strip()), **sample) if template.strip() else ""
    except TemplateError:
        return ""


def _wrap(layout: QHBoxLayout) -> QWidget:
    """A layout as one widget, so it can carry a reason like a field."""
    holder = QWidget()
    layout.setContentsMargins(0, 0, 0, 0)
    holder.setLayout(layout)
    return holder


def _form_page(page: QWidget) -> QFormLayout:
    """A form at the top left of ``page``, no wider than it needs to be read."""
    column = QWidget()
    column.setMaximumWidth(PAGE_WIDTH)
    form = QFormLayout(column)
    form.setContentsMargins(0, 0, 0, 0)
    layout = QVBoxLayout(page)
    layout.addWidget(column)
    layout.addStretch(1)
    return form


def _form_group(title: str) -> tuple[Any, QFormLayout]:
    box, layout = group(title)
    form = QFormLayout()
    layout.addLayout(form)
    return box, form


def _day_list(days: list[str]) -> str:
    if days == list(DAYS):
        return "every day"
    if days == list(DAYS[:5]):
        return "Mon–Fri"
    return ", ".join(DAY_NAMES[d] for d in days)
