"""The Contacts tab: how many contacts there are, importing a file, and the CardDAV address book
synced read-only (URL, user, app password in the keyring, how often), with Sync now."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget

from intulse_desktop.contacts.carddav import CardDavError
from intulse_desktop.contacts.sync import ContactsSync
from intulse_desktop.formatting import local_time_short
from intulse_desktop.secrets import CARDDAV_PASSWORD, SecretsError, SecretStore
from intulse_desktop.settings import Settings
from intulse_desktop.store import Store, StoreError
from intulse_desktop.ui.settings.account import ApplyPending, Run
from intulse_desktop.ui.settings.form import PAGE_WIDTH, Page, Section, note, outcome
from intulse_desktop.ui.settings.secret_field import SecretField

MINUTES_MAX = 1440


class ContactsBox(Section):
    def __init__(
        self,
        store: Store,
        secrets: SecretStore,
        syncing: ContactsSync | None,
        import_contacts: Callable[[QWidget], None],
        apply_pending: ApplyPending,
        run: Run,
    ) -> None:
        """``syncing``: the service's CardDAV sync (None where it does not run); a sync that
        changes the contacts tells the windows itself (``ContactsSync.on_synced``)."""
        super().__init__("Contacts")
        self._store = store
        self._syncing = syncing
        self._apply_pending = apply_pending
        self.count = note()
        self.import_button = QPushButton("Import file…")
        self.import_button.setToolTip(
            "vCard (.vcf) from Google, Apple, Outlook or Android; Google or Outlook CSV"
        )
        self.import_button.clicked.connect(lambda: import_contacts(self))
        self.url = QLineEdit()
        self.url.setPlaceholderText(
            "e.g. https://cloud.example.com/remote.php/dav/addressbooks/users/me/contacts/"
        )
        self.user = QLineEdit()
        self.password = SecretField(secrets, CARDDAV_PASSWORD, "an app password, not your main one")
        self.minutes = QSpinBox()
        self.minutes.setRange(1, MINUTES_MAX)
        self.minutes.setSuffix(" min")
        self.sync_button = QPushButton("Sync now")
        self.sync_button.clicked.connect(lambda: run(self.sync_now(), "sync contacts"))
        self.sync_result = outcome()
        row = QHBoxLayout()
        row.addWidget(self.count, 1)
        row.addWidget(self.import_button)
        self.content.addLayout(row)
        form = self.form()
        form.addRow(
            "CardDAV address book",
            self.field(
                "carddav_url",
                self.url,
                "Nextcloud, iCloud, Fastmail, Radicale: read only, nothing is ever written there.",
            ),
        )
        form.addRow("User", self.field("carddav_user", self.user))
        form.addRow(
            "App password", self.field("carddav_password", self.password, f"Kept in {secrets.location}.")
        )
        form.addRow("Sync every", self.field("carddav_sync_minutes", self.minutes))
        buttons = QHBoxLayout()
        buttons.addWidget(self.sync_button)
        buttons.addStretch(1)
        self.content.addLayout(buttons)
        self.content.addWidget(self.sync_result)

    # --- the form ------------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self.url.setText(settings.carddav_url or "")
        self.user.setText(settings.carddav_user)
        self.minutes.setValue(settings.carddav_sync_minutes)
        self.sync_result.setText(self._last_sync())
        try:
            self.password.read()
        except SecretsError as exc:
            self.sync_result.setText(str(exc))
        self.refresh()

    def values(self) -> dict[str, object]:
        return {
            "carddav_url": self.url.text().strip() or None,
            "carddav_user": self.user.text().strip(),
            "carddav_sync_minutes": self.minutes.value(),
        }

    def problems(self, candidate: Settings | None) -> dict[str, str]:
        if self.url.text().strip() and self.user.text().strip() and not self.password.typed():
            return {"carddav_password": "enter the app password for this user"}
        return {}

    def pending(self) -> bool:
        return self.password.pending()

    def commit(self) -> None:
        self.password.commit()

    def refresh(self) -> None:
        """Count the contacts again (after an import or a sync)."""
        count = self._store.count_contacts()
        self.count.setText(f"{count:,} contact{'' if count == 1 else 's'} in the address book.")

    def set_busy(self, busy: bool, valid: bool) -> None:
        self.sync_button.setEnabled(not busy and valid and self._syncing is not None)

    # --- syncing -------------------------------------------------------------------------

    def _last_sync(self) -> str:
        syncing = self._syncing
        if syncing is None or syncing.at is None:
            return ""
        when = local_time_short(syncing.at)
        if syncing.error:
            return f"The last sync ({when}) failed: {syncing.error}"
        return f"Last synced {when}: {syncing.last.describe()}" if syncing.last else ""

    async def sync_now(self) -> None:
        """Apply what was edited, then sync the address book once, and say how it went."""
        self.sync_result.setText("Syncing…")
        if not await self._apply_pending():
            self.sync_result.setText("Not synced: the settings could not be applied (see above).")
            return
        if not self.url.text().strip():
            self.sync_result.setText("Enter the address book's URL above first.")
            return
        assert self._syncing is not None  # the button is disabled without it
        try:
            result = await self._syncing.sync_now()
        except (CardDavError, StoreError) as exc:
            self.sync_result.setText(f"Not synced: {exc}")
            return
        self.sync_result.setText(f"Synced: {result.describe()}.")
        self.refresh()


class ContactsPage(Page):
    title = "Contacts"

    def __init__(self, box: ContactsBox) -> None:
        super().__init__()
        self.box = box
        self.add_parts(box)
        column = QWidget()
        column.setMaximumWidth(PAGE_WIDTH)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(box)
        layout = QVBoxLayout(self)
        layout.addWidget(column)
        layout.addStretch(1)
