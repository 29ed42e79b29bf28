"""Settings' Contacts tab: the count, importing a file, the CardDAV address book (its app password
in the secret store) and Sync now against a real Radicale server, with the names following."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from intulse_desktop.secrets import CARDDAV_PASSWORD
from intulse_desktop.ui.calllog.calls_model import NAME_COLUMN

from .helpers.net import closed_port, deliver
from .helpers.radicale import PASSWORD, USER, vcard
from .helpers.waiting import run_until

CONTACT_FILES = Path(__file__).parent / "contacts"


@pytest.fixture
def tab(desktop):
    desktop.show_settings()
    dialog = desktop.windows["settings"]
    dialog.tabs.setCurrentWidget(dialog.contacts)
    return dialog.contacts.box


def finish(desktop, qloop):
    """Let the dialog's and the desktop's tasks finish (an import, a sync)."""
    dialog = desktop.windows["settings"]
    qloop.run_until_complete(dialog.tasks.wait())
    qloop.run_until_complete(desktop.tasks.wait())


def set_address_book(tab, url, password=PASSWORD):
    tab.url.setText(url)
    tab.user.setText(USER)
    tab.password.setText(password)


def test_the_tab_counts_the_contacts_and_imports_a_file_chosen_there(desktop, tab, qloop, monkeypatch):
    assert tab.count.text() == "0 contacts in the address book."
    chosen = str(CONTACT_FILES / "google.vcf")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (chosen, ""))
    tab.import_button.click()
    finish(desktop, qloop)
    assert tab.count.text() == "2 contacts in the address book."
    assert desktop.contacts.message.icon() == QMessageBox.Icon.Information


def test_the_app_password_is_kept_as_a_secret_never_in_the_settings_file(desktop, tab, qloop):
    url = f"http://127.0.0.1:{closed_port()}/dana/contacts"
    set_address_book(tab, url, "s3cret-app-pw")
    dialog = desktop.windows["settings"]
    dialog.apply.click()
    finish(desktop, qloop)
    run_until(qloop, lambda: desktop.service.contacts.error, what="the sync the new address book starts")
    assert desktop.settings.carddav_url == url
    assert desktop.settings.carddav_user == USER
    assert desktop.secrets.get(CARDDAV_PASSWORD) == "s3cret-app-pw"
    assert "s3cret-app-pw" not in desktop.paths.settings_file.read_text()


def test_a_user_without_an_app_password_is_refused_beside_the_field(desktop, tab):
    set_address_book(tab, "https://dav.example.com/dana/contacts/", "")
    dialog = desktop.windows["settings"]
    assert dialog.problems["carddav_password"] == "enter the app password for this user"
    assert not dialog.ok.isEnabled()
    assert not tab.sync_button.isEnabled()


def test_a_url_that_is_not_one_is_refused(desktop, tab):
    tab.url.setText("not a url")
    assert "carddav_url" in desktop.windows["settings"].problems


def test_sync_now_brings_names_from_radicale_into_the_log_and_follows_a_change(desktop, tab, radicale, qloop):
    radicale.put("dana.vcf", vcard("dana-1", "Dana Whitfield", "+1 317 555 0142"))
    deliver(desktop, "CallCompleted")
    desktop.show_call_log()
    log = desktop.windows["log"]
    set_address_book(tab, radicale.book)
    tab.sync_button.click()
    finish(desktop, qloop)
    assert tab.sync_result.text() == "Synced: 1 added, 0 updated, 0 removed (by sync-token)."
    assert tab.count.text() == "1 contact in the address book."
    assert desktop.secrets.get(CARDDAV_PASSWORD) == PASSWORD  # applied before syncing
    assert log.calls.data(log.calls.index(0, NAME_COLUMN)) == "Dana Whitfield · ACME PLUMBING"

    radicale.put("dana.vcf", vcard("dana-1", "Dana W. Smith", "+1 317 555 0142"))
    tab.sync_button.click()
    finish(desktop, qloop)
    assert "1 updated" in tab.sync_result.text()
    assert log.calls.data(log.calls.index(0, NAME_COLUMN)) == "Dana W. Smith · ACME PLUMBING"


def test_a_failed_sync_is_shown_and_changes_nothing(desktop, tab, qloop):
    set_address_book(tab, f"http://127.0.0.1:{closed_port()}/dana/contacts/")
    tab.sync_button.click()
    finish(desktop, qloop)
    assert tab.sync_result.text().startswith("Not synced: cannot reach 127.0.0.1")
    assert tab.count.text() == "0 contacts in the address book."
