"""The Me tab: who I am, so that my calls and texts pop up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLineEdit

from intulse_desktop.settings import Settings
from intulse_desktop.ui.settings.form import Page, top_left_form
from intulse_desktop.ui.settings.inputs import CountryCombo, NumberList


class MePage(Page):
    title = "Me"

    def __init__(self, saved_region: Callable[[], str]) -> None:
        """``saved_region``: the default country in force, while the one typed names none."""
        super().__init__()
        self._saved_region = saved_region
        self.extension = QLineEdit()
        self.extension.setPlaceholderText("e.g. 204")
        self.country = CountryCombo()
        self.numbers = NumberList(self.region)
        self.user_id = QLineEdit()
        self.user_id.setPlaceholderText("optional")
        self.country.currentTextChanged.connect(self.numbers.reformat)

        form = top_left_form(self)
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
        return self.country.code() or self._saved_region()

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
