"""Contacts files as address books export them (tests/contacts/): vCard 2.1, 3.0 and 4.0 from
Google, Apple, Outlook and Android, Google's and Outlook's CSV; and bad files, refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from intulse_desktop.contacts.fields import ContactFileError
from intulse_desktop.contacts.files import import_contacts, read_contacts, read_contacts_file
from intulse_desktop.store import ContactNumber

SAMPLES = Path(__file__).parent / "contacts"


def read(name):
    return read_contacts_file(SAMPLES / name)


def by_name(found):
    return {c.name: c for c in found.contacts}


def test_google_vcard_with_a_custom_label_and_a_card_without_numbers():
    found = read("google.vcf")
    dana = by_name(found)["Dana Whitfield"]
    assert dana.organisation == "Circle City Dental"
    assert dana.numbers == (
        ContactNumber("(317) 555-0142", "mobile"),
        ContactNumber("+1 317-555-0143", "reception desk"),
    )
    assert set(by_name(found)) == {"Dana Whitfield", "Luis Ortega"}
    assert found.without_numbers == 1


def test_apple_vcard_with_item_labels_a_folded_photo_and_a_uid():
    [zoe] = read("apple.vcf").contacts
    assert zoe.name == "Zoë Okonkwo-Barnes"
    assert zoe.organisation == "Monon Law Group"
    assert zoe.numbers == (
        ContactNumber("+44 20 7946 0958", "mobile"),
        ContactNumber("(317) 555-0177", "work"),
    )
    assert zoe.uid == "2F0A7E9C-11B4-4C8B-9A51-2C1D6A0E3B77"


def test_outlook_vcard_21_in_windows_1252_with_a_quoted_printable_soft_break():
    [jurgen] = read("outlook.vcf").contacts
    assert jurgen.name == "Jürgen Müller"
    assert jurgen.organisation == "Bäckerei Müller"
    assert [n.label for n in jurgen.numbers] == ["work", "mobile"]


def test_android_vcard_21_with_quoted_printable_utf8_and_a_card_named_by_its_company():
    found = by_name(read("android.vcf"))
    assert found["René François"].numbers == (
        ContactNumber("+1-812-555-0123", "mobile"),
        ContactNumber("812 555 0124", "home"),
    )
    assert found["Fishers HVAC"].organisation == "Fishers HVAC"


def test_vcard_40_with_tel_uris_and_a_folded_note():
    [ana] = read("rfc6350.vcf").contacts
    assert ana.numbers == (
        ContactNumber("+1-317-555-0155", "mobile"),
        ContactNumber("+1-317-555-0100", "work"),
    )
    assert ana.uid == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"


def test_google_csv_with_several_numbers_in_one_cell():
    found = read("google.csv")
    contacts = by_name(found)
    assert [n.number for n in contacts["Dana Whitfield"].numbers] == [
        "(317) 555-0142",
        "+1 317-555-0143",
        "+1 317-555-0144",
    ]
    assert contacts["Priya Patel"].numbers == (ContactNumber("212-555-0131", "home"),)
    assert contacts["Broad Ripple Bakery"].numbers[0].label == "main"
    assert found.without_numbers == 1  # Sven has only an e-mail address


def test_outlook_csv_in_windows_1252_with_a_note_over_two_lines():
    contacts = by_name(read("outlook.csv"))
    assert [n.label for n in contacts["Jürgen Müller"].numbers] == ["fax", "work", "mobile"]
    assert contacts["Wei Chen"].numbers == (ContactNumber("312-555-0120", "home"),)
    assert contacts["Wei Chen"].line == 4  # after the two lines of Jürgen's row


def test_a_damaged_vcard_names_its_line():
    with pytest.raises(ContactFileError, match=r"damaged\.vcf, line 9: not a vCard line") as info:
        read("damaged.vcf")
    assert info.value.line == 9


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("BEGIN:VCARD\nVERSION:3.0\nFN:A\nTEL:1\n", 1, "never ends"),
        ("BEGIN:VCARD\nFN:A\nBEGIN:VCARD\nEND:VCARD\n", 3, "a new card begins"),
        ("BEGIN:VCARD\nFN:A\nTEL:1\nEND:VCARD\nstray text\n", 5, "not part of a vCard"),
        ("BEGIN:VCARD\nVERSION:3.0\nFN:A\nTEL:call the desk\nEND:VCARD\n", 4, "not a phone number"),
        ("BEGIN:VCARD\nVERSION:3.0\nTEL:317-555-0101\nEND:VCARD\n", 1, "has no name"),
        ("Name,Phone 1 - Value\nA,317-555-0101\nB,ask at the desk\n", 3, "not a phone number"),
        ("Name,Phone 1 - Value\nA,317-555-0101,extra\n", 2, "3 cells where the first line has 2"),
        ("Name,Phone 1 - Value\n,317-555-0101\n", 2, "no name"),
        ("date,amount\n2026-01-01,12\n", 1, "not a Google or Outlook contacts CSV"),
    ],
)
def test_a_bad_file_is_refused_with_its_line(text, line, reason):
    with pytest.raises(ContactFileError, match=reason) as info:
        list(read_contacts(text).contacts)
    assert info.value.line == line


def test_binary_data_is_refused(tmp_path):
    path = tmp_path / "photo.vcf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    with pytest.raises(ContactFileError, match="not a vCard or CSV"):
        read_contacts_file(path)


def test_a_utf16_export_is_read(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("First Name,Last Name,Mobile Phone\nWei,Chen,312-555-0120\n", encoding="utf-16")
    [wei] = read_contacts_file(path).contacts
    assert (wei.name, wei.numbers) == ("Wei Chen", (ContactNumber("312-555-0120", "mobile"),))


def test_every_sample_imports_and_importing_it_again_changes_nothing(store):
    files = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".vcf", ".csv") and p.stem != "damaged")
    for path in files:
        first = import_contacts(store, read_contacts_file(path))
        count = store.count_contacts()
        again = import_contacts(store, read_contacts_file(path))
        assert (again.changes.added, again.changes.updated) == (0, 0), path.name
        assert (
            again.changes.unchanged == first.changes.added + first.changes.updated + first.changes.unchanged
        )
        assert store.count_contacts() == count
    assert store.contact_for("+4915123456789").name == "Jürgen Müller"
