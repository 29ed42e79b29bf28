"""The address book in the store: numbers as E.164, lookup by number however it is written,
imports that update rather than duplicate, VIPs, names on calls and texts, and the call log's
search by a contact's name."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from intulse_desktop.events import parse
from intulse_desktop.store import (
    MIGRATIONS,
    CallQuery,
    ContactChanges,
    ContactError,
    ContactNumber,
    NewContact,
    Store,
    call_sort_key,
)

from .helpers.builders import payload

T0 = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


def write(store, job):
    [result] = store.run_batch([job])
    if isinstance(result, Exception):
        raise result
    return result


def record(store, *bodies, event_type="CallCompleted"):
    events = [parse(body, event_type) for body in bodies]
    store.run_batch([lambda s, e=e: s.record(e, False, T0) for e in events])
    store.run_batch([lambda s: s.index_calls(10**9)])


def call(n, number, name="WIRELESS CALLER", minutes=0):
    start = (T0 + timedelta(minutes=minutes)).isoformat()
    return payload("CallCompleted") | {
        "Id": f"call-{n}",
        "StartUtc": start,
        "RemotePartyNumber": number,
        "RemotePartyName": name,
    }


def imported(name, *numbers, uid="", organisation=""):
    return NewContact(name, tuple(ContactNumber(n, "mobile") for n in numbers), organisation, uid)


# --- contacts and their numbers ---------------------------------------------------------------


@pytest.mark.parametrize("written", ["+13175550142", "(317) 555-0142", "317.555.0142", "1 317 555 0142"])
def test_a_contact_is_found_by_its_number_however_it_is_written(store, written):
    contact_id = write(store, lambda s: s.add_contact("Dana Whitfield", ["317-555-0142"]))
    found = store.contact_for(written)
    assert found is not None
    assert (found.id, found.name, found.source, found.vip) == (contact_id, "Dana Whitfield", "local", False)


def test_numbers_are_kept_as_e164_in_the_default_region(tmp_path):
    store = Store(tmp_path / "log.sqlite3", region="GB")
    contact_id = write(store, lambda s: s.add_contact("Ian", ["020 7946 0958", "+1 317 555 0142"]))
    assert [n.number for n in store.contact(contact_id).numbers] == ["+442079460958", "+13175550142"]
    assert store.contact_for("+44 20 7946 0958").name == "Ian"
    store.close()


def test_one_contact_has_many_numbers_with_labels(store):
    numbers = [ContactNumber("317-555-0142", "Mobile"), ContactNumber("317-555-0100", "work")]
    contact_id = write(store, lambda s: s.add_contact("Dana", numbers, organisation="Circle City Dental"))
    contact = store.contact(contact_id)
    assert contact.numbers == (ContactNumber("+13175550142", "mobile"), ContactNumber("+13175550100", "work"))
    assert contact.organisation == "Circle City Dental"
    assert store.contact_for("3175550100").id == contact_id


def test_a_number_given_twice_is_kept_once(store):
    contact_id = write(store, lambda s: s.add_contact("Dana", ["+13175550142", "(317) 555-0142"]))
    assert len(store.contact(contact_id).numbers) == 1


def test_an_unknown_number_has_no_contact(store):
    write(store, lambda s: s.add_contact("Dana", ["317-555-0142"]))
    assert store.contact_for("317-555-0143") is None
    assert store.contact_for("") is None
    assert store.contact_name_for("317-555-0143") == ""


def test_a_contact_needs_a_name_and_numbers_need_digits(store):
    with pytest.raises(ContactError, match="needs a name"):
        write(store, lambda s: s.add_contact("  ", ["317-555-0142"]))
    with pytest.raises(ContactError, match="not a phone number"):
        write(store, lambda s: s.add_contact("Dana", ["reception"]))
    assert store.count_contacts() == 0


def test_the_lookup_by_number_reads_an_index(store):
    plan = str(
        store._db.execute(
            "EXPLAIN QUERY PLAN SELECT contact_id FROM contact_numbers WHERE number_key = ?", ("+1",)
        ).fetchall()
    )
    assert "contact_numbers_by_key" in plan


def test_a_vip_comes_first_where_contacts_share_a_number(store):
    write(store, lambda s: s.add_contact("Front desk", ["317-555-0100"]))
    boss = write(store, lambda s: s.add_contact("Pat (owner)", ["317-555-0100"], vip=True))
    assert store.contact_for("317-555-0100").id == boss
    record(store, call(1, "+13175550100"))
    assert store.call("call-1").contact_name == "Pat (owner)"


def test_rename_set_vip_add_number_and_remove(store):
    contact_id = write(store, lambda s: s.add_contact("Dana", ["317-555-0142"]))
    write(store, lambda s: s.rename_contact(contact_id, "Dana Whitfield", "Circle City Dental"))
    write(store, lambda s: s.set_vip(contact_id, True))
    write(store, lambda s: s.add_number(contact_id, "317-555-0143", "work"))
    found = store.contact_for("3175550143")
    assert (found.name, found.organisation, found.vip, len(found.numbers)) == (
        "Dana Whitfield",
        "Circle City Dental",
        True,
        2,
    )
    removed = write(store, lambda s: s.remove_contact(contact_id))
    assert removed.name == "Dana Whitfield"
    assert store.contact_for("3175550142") is None
    assert store._db.execute("SELECT count(*) FROM contact_numbers").fetchone()[0] == 0


def test_changing_a_contact_that_does_not_exist_says_so(store):
    for job in (
        lambda s: s.set_vip(99, True),
        lambda s: s.remove_contact(99),
        lambda s: s.rename_contact(99, "X"),
    ):
        with pytest.raises(ContactError, match="no contact 99"):
            write(store, job)


def test_a_synced_contact_cannot_be_renamed_here(store):
    write(
        store,
        lambda s: s.upsert_contacts("carddav", [imported("Ana", "317-555-0155", uid="https://x/a.vcf")]),
    )
    contact = store.contact_for("317-555-0155")
    with pytest.raises(ContactError, match="CardDAV"):
        write(store, lambda s: s.rename_contact(contact.id, "Someone else"))
    write(store, lambda s: s.set_vip(contact.id, True))  # VIP is this app's own
    assert store.contact_for("317-555-0155").vip


# --- imports and syncs ------------------------------------------------------------------------


def test_importing_again_updates_and_never_duplicates(store):
    first = write(store, lambda s: s.upsert_contacts("import", [imported("Dana", "317-555-0142", uid="u1")]))
    assert first == ContactChanges(added=1)
    again = write(store, lambda s: s.upsert_contacts("import", [imported("Dana", "317-555-0142", uid="u1")]))
    assert again == ContactChanges(unchanged=1)
    changed = write(
        store, lambda s: s.upsert_contacts("import", [imported("Dana W.", "317-555-0143", uid="u1")])
    )
    assert changed == ContactChanges(updated=1)
    assert store.count_contacts() == 1
    assert store.contact_for("317-555-0143").name == "Dana W."
    assert store.contact_for("317-555-0142") is None


def test_a_synced_contact_with_a_new_etag_is_updated_even_if_it_reads_the_same(store):
    card = NewContact("Ana", (ContactNumber("317-555-0155", "mobile"),), "", "https://x/a.vcf", '"1"')
    write(store, lambda s: s.upsert_contacts("carddav", [card]))
    assert write(store, lambda s: s.upsert_contacts("carddav", [card])) == ContactChanges(unchanged=1)
    newer = replace(card, etag='"2"')
    assert write(store, lambda s: s.upsert_contacts("carddav", [newer])) == ContactChanges(updated=1)
    assert store.contact_etags("carddav") == {"https://x/a.vcf": '"2"'}


def test_contacts_without_a_uid_are_found_again_by_name_and_organisation(store):
    write(
        store, lambda s: s.upsert_contacts("import", [imported("Dana", "317-555-0142", organisation="CCD")])
    )
    write(
        store, lambda s: s.upsert_contacts("import", [imported("dana", "317-555-0143", organisation="ccd")])
    )
    assert store.count_contacts() == 1
    assert store.contact_for("317-555-0143").name == "dana"


def test_two_cards_of_one_name_become_one_contact_with_both_numbers(store):
    cards = [imported("John Smith", "317-555-0101"), imported("John Smith", "317-555-0102")]
    write(store, lambda s: s.upsert_contacts("import", cards))
    assert store.count_contacts() == 1
    assert len(store.contact_for("317-555-0101").numbers) == 2


def test_an_import_keeps_the_vip_flag(store):
    write(store, lambda s: s.upsert_contacts("import", [imported("Dana", "317-555-0142", uid="u1")]))
    write(store, lambda s: s.set_vip(store.contact_for("3175550142").id, True))
    write(store, lambda s: s.upsert_contacts("import", [imported("Dana W", "317-555-0142", uid="u1")]))
    assert store.contact_for("3175550142").vip


def test_a_local_contact_is_not_touched_by_an_import_of_the_same_name(store):
    write(store, lambda s: s.add_contact("Dana", ["317-555-0142"]))
    write(store, lambda s: s.upsert_contacts("import", [imported("Dana", "317-555-0199")]))
    assert store.count_contacts() == 2
    assert store.contact_for("317-555-0142").source == "local"


def test_synced_contacts_are_removed_by_uid_and_the_sync_token_is_kept(store):
    cards = [imported("Ana", "317-555-0155", uid="https://x/a.vcf"), imported("Bo", "317-555-0156", uid="b")]
    write(store, lambda s: s.upsert_contacts("carddav", cards))
    write(store, lambda s: s.set_sync_token("https://x/", "token-1"))
    assert write(store, lambda s: s.remove_synced("carddav", ["https://x/a.vcf"])) == 1
    assert store.contact_for("317-555-0155") is None
    assert store.sync_token("https://x/") == "token-1"
    assert store.contact_etags("carddav") == {"b": ""}


# --- names on calls and texts, and the search -------------------------------------------------


def test_calls_and_texts_carry_the_contact_name(store):
    record(store, call(1, "+13175550142", name="WIRELESS CALLER"), call(2, "+13175550199", minutes=1))
    record(store, payload("TextMessageReceived"), event_type="TextMessageReceived")
    write(store, lambda s: s.add_contact("Dana Whitfield", ["(317) 555-0142"]))
    assert store.call("call-1").contact_name == "Dana Whitfield"
    assert store.call("call-1").remote_party_name == "WIRELESS CALLER"  # the carrier's, unchanged
    assert store.call("call-2").contact_name == ""
    assert store.messages()[0].contact_name == "Dana Whitfield"


@pytest.mark.parametrize("budget", [Store.SCAN_BUDGET, 0], ids=["scan", "index"])
def test_searching_a_contacts_name_finds_their_calls_by_number(store, monkeypatch, budget):
    monkeypatch.setattr(Store, "SCAN_BUDGET", budget)
    record(
        store,
        call(1, "+13175550142", name="WIRELESS CALLER"),
        call(2, "317-555-0143", name="", minutes=1),
        call(3, "+13175550199", name="ACME PLUMBING", minutes=2),
    )
    write(store, lambda s: s.add_contact("Dana Whitfield", ["317-555-0142", "317-555-0143"], "Circle City"))
    for text in ("whitf", "Dana W", "circle"):
        found = store.calls(CallQuery(search=text))
        assert [c.id for c in found] == ["call-2", "call-1"], text
        assert store.count_calls(CallQuery(search=text)) == 2
    assert [c.id for c in store.calls(CallQuery(search="acme"))] == ["call-3"]


@pytest.mark.parametrize("budget", [Store.SCAN_BUDGET, 0], ids=["scan", "index"])
def test_a_search_follows_a_contact_renamed_and_removed(store, monkeypatch, budget):
    monkeypatch.setattr(Store, "SCAN_BUDGET", budget)
    record(store, call(1, "+13175550142"), call(2, "+13175550199", minutes=1))
    contact_id = write(store, lambda s: s.add_contact("Dana Whitfield", ["317-555-0142"]))
    write(store, lambda s: s.rename_contact(contact_id, "Dana Okafor", "Monon Law"))
    assert store.calls(CallQuery(search="whitfield")) == []
    for text in ("okafor", "Monon", "Ok"):
        assert [c.id for c in store.calls(CallQuery(search=text))] == ["call-1"], text
    write(store, lambda s: s.remove_contact(contact_id))
    assert store.calls(CallQuery(search="okafor")) == []


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_pages_of_a_contacts_calls_follow_each_other_without_gaps(store, monkeypatch, order):
    monkeypatch.setattr(Store, "SCAN_BUDGET", 0)  # the index's way, where a contact's calls are limited
    record(store, *[call(n, "+13175550142", minutes=n) for n in range(7)], call(9, "+13175550199", minutes=3))
    write(store, lambda s: s.add_contact("Dana Whitfield", ["317-555-0142"]))
    seen, after = [], None
    while True:
        page = store.calls(CallQuery(search="whitfield", limit=3, order=order, after=after))
        seen += [c.id for c in page]
        if len(page) < 3:
            break
        after = call_sort_key(page[-1])
    expected = [f"call-{n}" for n in range(7)]
    assert seen == (expected[::-1] if order == "desc" else expected)


def test_a_filtered_search_finds_a_contacts_older_calls_too(store, monkeypatch):
    monkeypatch.setattr(Store, "SCAN_BUDGET", 0)
    missed = payload("CallCompleted-missed") | {"Id": "old-missed", "StartUtc": T0.isoformat()}
    missed["RemotePartyNumber"] = "+13175550142"
    record(store, missed, *[call(n, "+13175550142", minutes=n + 1) for n in range(5)])
    write(store, lambda s: s.add_contact("Dana Whitfield", ["317-555-0142"]))
    found = store.calls(CallQuery(search="whitfield", outcome="missed", limit=2))
    assert [c.id for c in found] == ["old-missed"]


def test_searching_a_contacts_name_finds_their_texts(store):
    record(store, payload("TextMessageReceived"), event_type="TextMessageReceived")
    write(store, lambda s: s.add_contact("Dana Whitfield", ["317-555-0142"]))
    assert len(store.messages(search="whitfield")) == 1
    assert store.messages(search="nobody") == []


def test_an_old_log_gets_the_address_book_with_its_calls_intact(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    monkeypatch.setattr("intulse_desktop.store.schema.MIGRATIONS", MIGRATIONS[:4])
    old = Store(path)
    old.run_batch([lambda s: s.record(parse(call(1, "+13175550142"), "CallCompleted"), False, T0)])
    old.close()
    monkeypatch.undo()
    upgraded = Store(path)
    assert upgraded.schema_version == len(MIGRATIONS)
    write(upgraded, lambda s: s.add_contact("Dana", ["317-555-0142"]))
    assert upgraded.call("call-1").contact_name == "Dana"
    upgraded.close()


def test_removing_synced_contacts_counts_each_one_removed(store):
    cards = [imported(name, f"317-555-01{n}", uid=name) for n, name in ((55, "a"), (56, "b"), (57, "c"))]
    write(store, lambda s: s.upsert_contacts("carddav", cards))
    assert write(store, lambda s: s.remove_synced("carddav", ["a", "c", "gone"])) == 2
    assert store.contact_etags("carddav") == {"b": ""}
