"""The Integrations tab: the CRM link on cards, and how Call back dials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QVBoxLayout, QWidget

from intulse_desktop.links import CALL_BACK_TEMPLATES, PLACEHOLDERS, TemplateError, check_template, fill
from intulse_desktop.matching import digits
from intulse_desktop.samples import TEST_NUMBER
from intulse_desktop.settings import Settings
from intulse_desktop.ui.settings.form import PAGE_WIDTH, Page, Section, note

SAMPLE_NAME = "ACME Plumbing & Sons"  # the "&" shows that values are URL-encoded
SAMPLE_CALL_ID = "1764130211.5512"
PLACEHOLDER_LIST = ", ".join("{" + p + "}" for p in PLACEHOLDERS)


def sample_call(extension: str) -> dict[str, str]:
    """What the previews fill the templates with."""
    return {"number": TEST_NUMBER, "name": SAMPLE_NAME, "extension": extension, "call_id": SAMPLE_CALL_ID}


class CrmBox(Section):
    def __init__(self, extension: Callable[[], str]) -> None:
        super().__init__("Open in CRM")
        self._extension = extension
        self.crm = QLineEdit()
        self.crm.setPlaceholderText("e.g. https://crm.example.com/search?phone={number}")
        self.crm_preview = note(selectable=True)
        form = self.form()
        form.addRow(
            "URL template",
            self.field(
                "crm_url_template",
                self.crm,
                f"Placeholders: {PLACEHOLDER_LIST} (URL-encoded). Empty: no CRM button.",
            ),
        )
        form.addRow("For a sample call", self.crm_preview)

    def load(self, settings: Settings) -> None:
        self.crm.setText(settings.crm_url_template or "")

    def values(self) -> dict[str, Any]:
        return {"crm_url_template": self.crm.text().strip() or None}

    def preview(self, candidate: Settings | None) -> None:
        sample = sample_call(self._extension().strip() or "204")
        self.crm_preview.setText(_filled(self.crm.text(), sample) or "No “Open in CRM” button on cards.")


class CallBackBox(Section):
    def __init__(self, extension: Callable[[], str], has_api_key: Callable[[], bool]) -> None:
        super().__init__("Call back")
        self._extension = extension
        self._has_api_key = has_api_key
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
        form = self.form()
        form.addRow("Call back with", self.field("call_back_method", self.method))
        form.addRow(
            "URL template",
            self.field("call_back_url_template", self.template, f"Placeholders: {PLACEHOLDER_LIST}."),
        )
        form.addRow("For a sample call", self.call_back_preview)

    def load(self, settings: Settings) -> None:
        template = settings.call_back_url_template
        preset = next((k for k, v in CALL_BACK_TEMPLATES.items() if v == template), None)
        self._custom = "" if preset else template
        choice = "click-to-call" if settings.call_back_method == "click-to-call" else preset or "custom"
        self.method.setCurrentIndex(self.method.findData(choice))
        self.template.setText(template)
        self._method_chosen()

    def values(self) -> dict[str, Any]:
        if self.method.currentData() == "click-to-call":
            return {"call_back_method": "click-to-call"}
        return {"call_back_method": "url", "call_back_url_template": self.template.text().strip()}

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

    def preview(self, candidate: Settings | None) -> None:
        sample = sample_call(self._extension().strip() or "204")
        if self.method.currentData() == "click-to-call":
            self.call_back_preview.setText(
                f"Intulse rings extension {sample['extension']}; when it is picked up, it dials "
                f"{digits(TEST_NUMBER)}. The result shows as a notification."
            )
        else:
            self.call_back_preview.setText(_filled(self.template.text(), sample))

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


class IntegrationsPage(Page):
    title = "Integrations"

    def __init__(self, extension: Callable[[], str], has_api_key: Callable[[], bool]) -> None:
        """``extension``: the one typed on the Me tab; ``has_api_key``: whether one is typed or set."""
        super().__init__()
        crm, call_back = CrmBox(extension), CallBackBox(extension, has_api_key)
        self.add_parts(crm, call_back)
        # the fields by name, as the dialog's tests reach them
        self.crm, self.crm_preview = crm.crm, crm.crm_preview
        self.method, self.template = call_back.method, call_back.template
        self.call_back_preview = call_back.call_back_preview
        column = QWidget()
        column.setMaximumWidth(PAGE_WIDTH)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(crm)
        inner.addWidget(call_back)
        layout = QVBoxLayout(self)
        layout.addWidget(column)
        layout.addStretch(1)


def _filled(template: str, sample: dict[str, str]) -> str:
    """The template filled for the sample call; "" when it is empty or refused (its reason says why)."""
    try:
        return fill(check_template(template.strip()), **sample) if template.strip() else ""
    except TemplateError:
        return ""
