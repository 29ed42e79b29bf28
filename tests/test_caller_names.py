"""The one way every window names a caller: the contact's name leads, caller ID beside it."""

from __future__ import annotations

from intulse_desktop.caller_names import CallerName, caller_name


def test_a_contacts_name_leads_and_caller_id_stands_beside_it():
    name = CallerName("Alice Smith", "WIRELESS CALLER")
    assert (name.name, name.beside, name.line()) == (
        "Alice Smith",
        "WIRELESS CALLER",
        "Alice Smith · WIRELESS CALLER",
    )


def test_without_a_contact_caller_id_is_the_name_and_nothing_stands_beside_it():
    name = CallerName("", " ACME PLUMBING ")
    assert (name.name, name.beside, name.line()) == ("ACME PLUMBING", "", "ACME PLUMBING")


def test_caller_id_saying_what_the_contact_says_is_not_repeated():
    assert CallerName("Acme Plumbing", "ACME PLUMBING").line() == "Acme Plumbing"


def test_no_name_at_all_is_empty():
    assert CallerName().line() == ""


def test_the_contact_is_found_by_the_number_however_it_is_written(store):
    with store.transaction():
        store.add_contact("Alice Smith", ["+13175550142"])
    assert caller_name(store, "(317) 555-0142", "WIRELESS CALLER").line() == "Alice Smith · WIRELESS CALLER"
    assert caller_name(store, "3175550199", "WIRELESS CALLER").line() == "WIRELESS CALLER"
