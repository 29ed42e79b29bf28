"""A small dialog to add a caller to the address book, or to change a local contact's name.

It is opened with ``open()`` (never ``exec()``): saving runs as a task through the log's
writer, and a refusal (no name, a number that is no number, the log failing) is said in
the dialog, which stays open to be corrected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout

from intulse_desktop.store import ContactError, StoreError
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.palette import state_color
from intulse_desktop.ui.widgets import plain_label

MAX_NAME = 200  # a caller-ID line shows far less; more is a paste gone wrong
Save = Callable[[str, str, bool], Awaitable[object]]  # name, organisation, VIP


def name_problem(name: str) -> str:
    """Why ``name`` cannot be a contact's name, "" if it can."""
    text = " ".join(name.split())
    if not text:
        return "Enter a name."
    if len(text) > MAX_NAME:
        return f"A name of at most {MAX_NAME} characters, please."
    return ""


class ContactDialog(QDialog):
    """Name, organisation and (when adding) VIP for one number; ``save`` writes them."""

    def __init__(
        self,
        title: str,
        number: str,
        name: str,
        organisation: str,
        save: Save,
        tasks: Tasks,
        *,
        adding: bool,
    ) -> None:
        super().__init__(None)
        self.setWindowTitle(title)
        self._save = save
        self._tasks = tasks
        self.name = QLineEdit(name)
        self.name.selectAll()
        self.organisation = QLineEdit(organisation)
        self.vip = QCheckBox("VIP: pops up even in quiet hours and do-not-disturb")
        self.vip.setVisible(adding)
        self.reason = plain_label("", "reason")
        self.reason.setStyleSheet(f"color: {state_color('error')};")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self._save_clicked)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Number", plain_label(number, "number"))
        form.addRow("Name", self.name)
        form.addRow("Organisation", self.organisation)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.vip)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        problem = name_problem(self.name.text())
        self.reason.setText(problem if self.name.text() else "")
        self.save_button.setEnabled(not problem)

    def _save_clicked(self) -> None:
        if name_problem(self.name.text()):
            return
        self.save_button.setEnabled(False)
        self.task = self._tasks.spawn(self._saving(), "save a contact")

    async def _saving(self) -> None:
        try:
            await self._save(self.name.text(), self.organisation.text(), self.vip.isChecked())
        except (ContactError, StoreError) as exc:
            self.reason.setText(f"Not saved: {exc}")
            self.save_button.setEnabled(True)
            return
        self.accept()
