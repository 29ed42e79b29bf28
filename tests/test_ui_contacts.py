"""Contacts in the GUI: their names on cards, in caller details, the call log, texts, the tray and
the player; adding, renaming and VIPs from a card, the details and the log; importing a file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QMessageBox

from intulse_desktop.store import CallRow, NewContact
from intulse_desktop.ui.calllog.calls_model import NAME_COLUMN
from intulse_desktop.ui.cards import CallCard, TextCard
from intulse_desktop.ui.player import caller_title

from .helpers.finders import action_texts, button
from .helpers.net import deliver
from .helpers.waiting import run_until

CONTACT_FILES = Path(__file__).parent / "contacts"


def write(gui, job):
    """Run ``job`` on the log through the app's writer, as the GUI does."""
    return asyncio.get_event_loop().run_until_complete(gui.service.write(job))


def add_contact(gui, name="Alice Smith", number="(317) 555-0142", **fields):
    return write(gui, lambda s: s.add_contact(name, [number], **fields))


def call_card(gui) -> CallCard:
    [card] = [c for c in gui.cards.cards if isinstance(c, CallCard)]
    return card


def menu_entries(card) -> dict:
    card.contact_menu.aboutToShow.emit()
    return {a.text(): a for a in card.contact_menu.actions()}


def wait(gui, condition, what=""):
    run_until(asyncio.get_event_loop(), condition, what=what)


def open_log(gui):
    gui.show_call_log()
    return gui.windows["log"]


# --- names everywhere --------------------------------------------------------------------------


def test_a_contacts_name_leads_on_the_card_with_caller_id_beside_it(desktop):
    add_contact(desktop)
    deliver(desktop, "CallStarted")
    card = call_card(desktop)
    assert card.name.text() == "Alice Smith"
    assert card.carrier.text() == "Caller ID: ACME PLUMBING"
    assert not card.carrier.isHidden()
    assert card.number.text() == "(317) 555-0142"


def test_without_a_contact_the_card_shows_caller_id_alone(desktop):
    deliver(desktop, "CallStarted")
    card = call_card(desktop)
    assert card.name.text() == "ACME PLUMBING"
    assert card.carrier.isHidden()


def test_caller_details_lead_with_the_contacts_name(desktop):
    add_contact(desktop)
    deliver(desktop, "CallCompleted")
    desktop.show_caller("+13175550142", "ACME PLUMBING")
    assert desktop.details.name.text() == "Alice Smith"
    assert desktop.details.carrier.text() == "Caller ID: ACME PLUMBING"
    assert desktop.details.windowTitle() == "Alice Smith — caller details"


def test_the_logs_name_column_shows_the_contact_and_caller_id_with_both_in_the_tooltip(desktop):
    add_contact(desktop)
    deliver(desktop, "CallCompleted")
    deliver(desktop, "CallCompleted-missed")  # (317) 555-0199: no contact
    model = open_log(desktop).calls
    names = [model.data(model.index(row, NAME_COLUMN)) for row in range(model.rowCount())]
    assert sorted(names) == ["Alice Smith · ACME PLUMBING", "Unknown"]
    alice = names.index("Alice Smith · ACME PLUMBING")
    tip = model.data(model.index(alice, NAME_COLUMN), Qt.ItemDataRole.ToolTipRole)
    assert "Contact: Alice Smith" in tip
    assert "Caller ID: ACME PLUMBING" in tip


def test_typing_a_contacts_name_in_the_log_finds_their_calls(desktop):
    add_contact(desktop, "Zelda Quint")
    deliver(desktop, "CallCompleted")
    deliver(desktop, "CallCompleted-missed")
    log = open_log(desktop)
    log.search.setText("zelda")
    assert [c.remote_party_number for c in log.calls.rows] == ["+13175550142"]


def test_a_texts_sender_is_named_from_the_contacts_before_the_last_call(desktop):
    add_contact(desktop)
    deliver(desktop, "CallCompleted", Extension="999")  # ACME PLUMBING called someone else
    deliver(desktop, "TextMessageReceived")
    [card] = [c for c in desktop.cards.cards if isinstance(c, TextCard)]
    assert card.sender_label.whole == "Alice Smith · (317) 555-0142"
    log = open_log(desktop)
    log.tabs.setCurrentIndex(1)
    assert log.texts.data(log.texts.index(0, 1)) == "Alice Smith · (317) 555-0142"


def test_the_trays_recent_callers_are_named_from_the_contacts(desktop):
    add_contact(desktop)
    deliver(desktop, "CallCompleted")
    desktop.tray.recent.aboutToShow.emit()
    assert action_texts(desktop.tray.recent) == ["Alice Smith · ACME PLUMBING — (317) 555-0142"]


def test_the_trays_phone_state_names_whom_i_am_on_the_phone_with_from_the_contacts(desktop):
    add_contact(desktop)
    deliver(desktop, "ExtensionUpdated")  # 204 INUSE with ACME PLUMBING, +13175550142
    assert "In use with Alice Smith · ACME PLUMBING (317) 555-0142" in desktop.tray.icon.toolTip()


def test_the_players_title_is_the_contacts_name(desktop):
    add_contact(desktop)
    deliver(desktop, "CallCompleted")
    [call] = desktop.store.calls_with("+13175550142")
    assert isinstance(call, CallRow)
    assert caller_title(call, "US") == "Alice Smith"


# --- from a card, the details and the log ------------------------------------------------------


def test_add_to_contacts_from_a_card_names_the_caller_everywhere(desktop):
    deliver(desktop, "CallCompleted")
    log = open_log(desktop)
    log.calls_view.selectRow(0)
    deliver(desktop, "CallStarted", Id="again")
    entries = menu_entries(call_card(desktop))
    assert list(entries) == ["Add to contacts…", "Mark VIP"]
    entries["Add to contacts…"].trigger()
    dialog = desktop.contacts.dialog
    assert dialog.name.text() == "ACME PLUMBING"  # proposed from caller ID
    dialog.name.setText("  Alice   Smith ")
    dialog.organisation.setText("Smith Plumbing")
    dialog.buttons.accepted.emit()
    wait(desktop, lambda: desktop.store.contact_for("+13175550142") is not None, "the contact")
    wait(desktop, lambda: not dialog.isVisible(), "the dialog to close")
    contact = desktop.store.contact_for("+13175550142")
    assert (contact.name, contact.organisation, contact.source) == ("Alice Smith", "Smith Plumbing", "local")
    wait(desktop, lambda: log.calls.rows[1].contact_name == "Alice Smith", "the log to rename")
    assert log.calls_view.selectionModel().isRowSelected(1)  # renamed in place, selection kept
    assert list(menu_entries(call_card(desktop))) == ["Edit contact name…", "Mark VIP"]


def test_the_contact_dialog_refuses_an_empty_name(desktop):
    deliver(desktop, "CallStarted")
    desktop.contacts.edit("+13175550142", "")
    dialog = desktop.contacts.dialog
    assert not dialog.save_button.isEnabled()
    dialog.name.setText("x")
    dialog.name.setText("   ")
    assert dialog.reason.text() == "Enter a name."
    assert not dialog.save_button.isEnabled()
    dialog.name.setText("A" * 201)
    assert "at most 200" in dialog.reason.text()
    dialog.name.setText("Alice")
    assert dialog.save_button.isEnabled()
    assert dialog.reason.text() == ""


def test_a_refused_save_is_said_in_the_dialog_which_stays_open(desktop):
    contact_id = add_contact(desktop)
    dialog = desktop.contacts.edit("+13175550142")
    write(desktop, lambda s: s.remove_contact(contact_id))  # removed meanwhile (say, from the CLI)
    dialog.buttons.accepted.emit()
    wait(desktop, lambda: dialog.reason.text().startswith("Not saved:"), "the refusal")
    assert f"there is no contact {contact_id}" in dialog.reason.text()
    assert dialog.isVisible()
    assert dialog.save_button.isEnabled()


def test_edit_contact_name_from_the_log_renames_a_local_contact(desktop):
    contact_id = add_contact(desktop)
    deliver(desktop, "CallCompleted")
    log = open_log(desktop)
    actions = desktop.actions("+13175550142", "ACME PLUMBING")
    [edit] = [action for text, action in actions.contact() if text == "Edit contact name…"]
    edit()
    dialog = desktop.contacts.dialog
    assert dialog.name.text() == "Alice Smith"
    dialog.name.setText("Alice Jones")
    dialog.buttons.accepted.emit()
    wait(desktop, lambda: desktop.store.contact(contact_id).name == "Alice Jones")
    wait(desktop, lambda: log.calls.data(log.calls.index(0, NAME_COLUMN)) == "Alice Jones · ACME PLUMBING")


def test_the_logs_context_menu_offers_the_contact_entries_and_marks_a_vip(desktop):
    contact_id = add_contact(desktop)
    deliver(desktop, "CallCompleted")
    log = open_log(desktop)
    place = log.calls_view.visualRect(log.calls.index(0, 0)).center()
    log.calls_view.customContextMenuRequested.emit(place)
    [menu] = log.findChildren(QMenu, options=Qt.FindChildOption.FindDirectChildrenOnly)  # not the menu bar's
    assert action_texts(menu)[-2:] == ["Edit contact name…", "Mark VIP"]
    [vip] = [a for a in menu.actions() if a.text() == "Mark VIP"]
    vip.trigger()
    wait(desktop, lambda: desktop.store.contact(contact_id).vip, "the VIP mark")


def test_a_contact_synced_from_carddav_cannot_be_renamed_here(desktop):
    write(desktop, lambda s: s.upsert_contacts("carddav", [NewContact("Bob", ("+13175550142",), uid="/b")]))
    assert [text for text, _ in desktop.contacts.entries("+13175550142", "")] == ["Mark VIP"]


def test_a_call_without_a_number_offers_no_contact_entries(desktop):
    assert desktop.contacts.entries("anonymous", "") == []


def test_mark_vip_from_the_caller_details_marks_the_contact_and_unmark_clears_it(desktop):
    contact_id = add_contact(desktop)
    deliver(desktop, "CallCompleted")
    desktop.show_caller("+13175550142", "ACME PLUMBING")
    button(desktop.details, "Mark VIP").click()
    wait(desktop, lambda: desktop.store.contact(contact_id).vip, "the VIP mark")
    wait(desktop, lambda: button(desktop.details, "Unmark VIP"), "the details to follow")
    assert desktop.settings.breakthrough_numbers == []
    button(desktop.details, "Unmark VIP").click()
    wait(desktop, lambda: not desktop.store.contact(contact_id).vip, "the VIP mark gone")


def test_mark_vip_without_a_contact_puts_the_number_on_the_break_through_list(desktop):
    deliver(desktop, "CallStarted")
    menu_entries(call_card(desktop))["Mark VIP"].trigger()
    wait(desktop, lambda: desktop.settings.breakthrough_numbers == ["+13175550142"])
    assert list(menu_entries(call_card(desktop))) == ["Add to contacts…", "Unmark VIP"]
    menu_entries(call_card(desktop))["Unmark VIP"].trigger()
    wait(desktop, lambda: desktop.settings.breakthrough_numbers == [])


def test_a_contact_marked_vip_from_the_gui_pops_up_in_do_not_disturb(desktop):
    contact_id = add_contact(desktop)
    [mark] = [action for text, action in desktop.contacts.entries("+13175550142", "") if text == "Mark VIP"]
    mark()
    wait(desktop, lambda: desktop.store.contact(contact_id).vip, "the VIP mark")
    desktop.set_do_not_disturb(True)
    deliver(desktop, "CallStarted")
    assert call_card(desktop).name.text() == "Alice Smith"
    assert desktop.decisions[-1][1].reason == "popped (a VIP: Alice Smith)"


def test_a_number_on_the_break_through_list_is_a_vip(desktop, me):
    desktop.save_settings(me.with_values({"breakthrough_numbers": ["317-555-0142"]}))
    assert desktop.contacts.is_vip("+13175550142")


# --- importing -----------------------------------------------------------------------------------


def test_importing_a_vcard_from_the_log_names_its_callers(desktop):
    deliver(desktop, "CallCompleted")
    log = open_log(desktop)
    assert button(log, "Import contacts…").isVisible()
    task = desktop.contacts.import_file(CONTACT_FILES / "google.vcf")
    imported = asyncio.get_event_loop().run_until_complete(task)
    assert imported.changes.added == 2
    assert desktop.contacts.message.icon() == QMessageBox.Icon.Information
    assert "2 added" in desktop.contacts.message.text()
    assert "1 without a phone number left out" in desktop.contacts.message.text()
    assert log.calls.rows[0].contact_name == "Dana Whitfield"


def test_a_bad_file_imports_nothing_and_the_dialog_names_the_line(desktop):
    task = desktop.contacts.import_file(CONTACT_FILES / "damaged.vcf")
    assert asyncio.get_event_loop().run_until_complete(task) is None
    message = desktop.contacts.message
    assert message.icon() == QMessageBox.Icon.Warning
    assert "Nothing was imported" in message.text()
    assert "damaged.vcf, line 9: not a vCard line" in message.text()
    assert desktop.store.count_contacts() == 0
