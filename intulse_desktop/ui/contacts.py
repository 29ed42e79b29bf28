"""The address book from the GUI: add a caller or rename a contact, mark a VIP, import a file.

Every change is written through the service's one writer; ``changed`` then tells the
windows, which read the new names back from the store. A VIP is a contact marked so, or a
number on Settings' break-through list: marking a number that has no contact puts it on
that list, and unmarking clears both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from intulse_desktop.contacts.fields import ContactFileError
from intulse_desktop.contacts.files import Imported, read_contacts_file
from intulse_desktop.matching import format_number, number_key
from intulse_desktop.popups import breaks_through
from intulse_desktop.service import Service
from intulse_desktop.settings import Settings
from intulse_desktop.store import ContactRow, Store, StoreError
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.contact_dialog import ContactDialog

Entry = tuple[str, Callable[[], object]]  # a menu entry or button: its words, what it does
CONTACT_FILES = "Contacts (*.vcf *.vcard *.csv);;All files (*)"


class Contacts:
    """What cards, caller details, the call log and Settings do with the address book."""

    def __init__(
        self,
        service: Service,
        store: Store,
        tasks: Tasks,
        settings: Callable[[], Settings],
        save_settings: Callable[[Settings], None],
        changed: Callable[[], None],
    ) -> None:
        """``store`` is the GUI's reader; ``save_settings`` saves and applies (the break-through
        list); ``changed`` is called after each change to the address book."""
        self._service = service
        self._store = store
        self._tasks = tasks
        self._settings = settings
        self._save_settings = save_settings
        self._changed = changed
        self.dialog: ContactDialog | None = None
        self.message: QMessageBox | None = None  # the last import's outcome

    # --- reading ---------------------------------------------------------------------------

    def is_vip(self, number: str) -> bool:
        """Whether calls and texts from ``number`` pop up in quiet hours and do-not-disturb."""
        return self._vip(number, self._store.contact_for(number))

    def _vip(self, number: str, contact: ContactRow | None) -> bool:
        """``is_vip`` for ``number`` whose contact (None: it has none) was looked up already."""
        return (contact is not None and contact.vip) or breaks_through(self._settings(), number)

    def entries(self, number: str, carrier: str) -> list[Entry]:
        """ "Add to contacts" or "Edit contact name", and "Mark VIP" or "Unmark VIP", for ``number``
        (nothing for a call without a number; no renaming of a contact synced from CardDAV)."""
        if not number_key(number, self._settings().default_region):
            return []
        contact = self._store.contact_for(number)
        found: list[Entry] = []
        if contact is None:
            found.append(("Add to contacts…", lambda: self.edit(number, carrier)))
        elif contact.source != "carddav":
            found.append(("Edit contact name…", lambda: self.edit(number, carrier)))
        if self._vip(number, contact):
            found.append(("Unmark VIP", lambda: self.set_vip(number, False)))
        else:
            found.append(("Mark VIP", lambda: self.set_vip(number, True)))
        return found

    # --- changing --------------------------------------------------------------------------

    def edit(self, number: str, carrier: str = "") -> ContactDialog:
        """The dialog to add ``number`` to the contacts (its name proposed from caller ID), or to
        rename its contact."""
        contact = self._store.contact_for(number)
        shown = format_number(number, self._settings().default_region)

        async def save(name: str, organisation: str, vip: bool) -> None:
            if contact is None:
                await self._service.write(lambda s: s.add_contact(name, [number], organisation, vip))
            else:
                await self._service.write(lambda s: s.rename_contact(contact.id, name, organisation))
            self._changed()

        if self.dialog is not None:  # one at a time: the one open before goes
            self.dialog.close()
            self.dialog.deleteLater()
        if contact is None:
            title, name, organisation = "Add to contacts", carrier.strip(), ""  # no contact: caller ID leads
        else:
            title, name, organisation = "Edit contact name", contact.name, contact.organisation
        adding = contact is None
        self.dialog = ContactDialog(title, shown, name, organisation, save, self._tasks, adding=adding)
        self.dialog.open()
        return self.dialog

    def set_vip(self, number: str, vip: bool) -> asyncio.Task[None]:
        """Mark ``number`` VIP (its contact, else the break-through list) or unmark it (both)."""

        async def mark() -> None:
            contact = self._store.contact_for(number)
            settings = self._settings()
            if contact is not None and contact.vip != vip:
                await self._service.write(lambda s: s.set_vip(contact.id, vip))
            listed = breaks_through(settings, number)
            if vip and contact is None and not listed:
                self._save_breakthrough(settings, [*settings.breakthrough_numbers, number])
            elif not vip and listed:
                region = settings.default_region
                key = number_key(number, region)
                kept = [n for n in settings.breakthrough_numbers if number_key(n, region) != key]
                self._save_breakthrough(settings, kept)
            self._changed()

        return self._tasks.spawn(mark(), "mark a VIP")

    def _save_breakthrough(self, settings: Settings, numbers: list[str]) -> None:
        self._save_settings(settings.with_values({"breakthrough_numbers": numbers}))

    def close(self) -> None:
        for window in (self.dialog, self.message):
            if window is not None:
                window.close()

    # --- importing -------------------------------------------------------------------------

    def ask_import(self, parent: QWidget | None = None) -> None:
        """Ask for a vCard or CSV file, then import it."""
        path, _ = QFileDialog.getOpenFileName(parent, "Import contacts", str(Path.home()), CONTACT_FILES)
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> asyncio.Task[Imported | None]:
        """Read ``path`` whole (in a thread), then store it in one write: a bad file imports
        nothing, and a message box says what came of it (naming the line of a problem)."""

        async def run() -> Imported | None:
            try:
                found = await asyncio.to_thread(read_contacts_file, path)
                changes = await self._service.write(lambda s: s.upsert_contacts("import", found.contacts))
            except (ContactFileError, StoreError) as exc:
                self._tell(QMessageBox.Icon.Warning, f"Nothing was imported.\n\n{exc}")
                return None
            self._changed()
            imported = Imported(changes, found.without_numbers)
            self._tell(QMessageBox.Icon.Information, describe_import(imported))
            return imported

        return self._tasks.spawn(run(), "import contacts")

    def _tell(self, icon: QMessageBox.Icon, text: str) -> None:
        if self.message is not None:  # kept, not deleted on close: one at a time
            self.message.deleteLater()
        box = QMessageBox(icon, "Import contacts", text)
        box.setTextFormat(Qt.TextFormat.PlainText)  # it may quote the file
        box.setModal(False)
        box.show()
        self.message = box


def describe_import(imported: Imported) -> str:
    c = imported.changes
    text = f"Contacts imported: {c.added} added, {c.updated} updated, {c.unchanged} unchanged."
    if imported.without_numbers:
        text += f"\n{imported.without_numbers} without a phone number left out."
    return text
