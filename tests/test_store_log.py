"""The store's side of the call log window: keyset pages, sorting, the search index, pruning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intulse_desktop.events import parse
from intulse_desktop.store import (
    CALL_SORTS,
    MIGRATIONS,
    CallQuery,
    Store,
    call_sort_key,
    message_sort_key,
)

from .helpers.builders import payload

UTC = UTC
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def indexed(store, monkeypatch):
    """A store whose searches always use the trigram index (no scan first)."""
    monkeypatch.setattr(Store, "SCAN_BUDGET", 0)
    return store


def add(store, *bodies, event_type="CallCompleted", index=True):
    """Store calls as the receiver does and (unless ``index`` is False) let the indexer catch up."""
    events = [parse(body, event_type) for body in bodies]
    results = store.run_batch([lambda s, e=e: s.record(e, False, T0) for e in events])
    assert not any(isinstance(r, Exception) for r in results), results
    if index:
        store.run_batch([lambda s: s.index_calls(10**9)])


def call(n, minutes=0, **fields):
    start = (T0 + timedelta(minutes=minutes)).isoformat()
    return payload("CallCompleted") | {"Id": f"call-{n}", "LinkedId": f"call-{n}", "StartUtc": start} | fields


def text(n, minutes=0, **fields):
    created = (T0 + timedelta(minutes=minutes)).isoformat()
    return payload("TextMessageReceived") | {"Id": n, "CreatedUtc": created} | fields


def ids(rows):
    return [r.id for r in rows]


def all_pages(store, query, size):
    rows, after = [], None
    while True:
        page = store.calls(CallQuery(**query, limit=size, after=after))
        rows += page
        if len(page) < size:
            return rows
        after = call_sort_key(page[-1], query.get("sort", "start_utc"))


def mixed_log(store):
    """Calls with ties in every sortable column, nulls included."""
    add(
        store,
        call(1, 0, RemotePartyName="bob", DurationInSeconds=30),
        call(2, 0, RemotePartyName="Alice", AnswertUtc=None, DurationInSeconds=None, Recording=None),
        call(3, 5, RemotePartyName="ÉMILE", Direction="Outbound", Extension="205"),
        call(4, 5, RemotePartyName="alice", DurationInSeconds=30, RemotePartyNumber="+442079460958"),
        call(5, 9, RemotePartyName="", Recording=""),
        call(6, 9, RemotePartyName="Zed", DurationInSeconds=5),
        call(7, 9, RemotePartyName="bob", Direction="Outbound", AnswertUtc=None, Recording=None),
    )


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", list(CALL_SORTS))
def test_keyset_pages_follow_the_sort_without_gaps_or_repeats(store, sort, order):
    mixed_log(store)
    whole = store.calls(CallQuery(sort=sort, order=order, limit=None))
    assert len(whole) == 7
    assert ids(all_pages(store, {"sort": sort, "order": order}, 2)) == ids(whole)
    keys = [call_sort_key(r, sort) for r in whole]
    assert keys == sorted(keys, reverse=order == "desc")  # the Python key orders as SQLite does


def test_names_sort_ignoring_case(store):
    mixed_log(store)
    names = [
        r.remote_party_name for r in store.calls(CallQuery(sort="remote_party_name", order="asc", limit=None))
    ]
    assert names == ["", "Alice", "alice", "bob", "bob", "Zed", "ÉMILE"]


def test_an_unknown_sort_is_refused(store):
    with pytest.raises(ValueError, match="cannot sort calls by 'start_utc; DROP TABLE calls'"):
        store.calls(CallQuery(sort="start_utc; DROP TABLE calls"))


def test_a_query_can_ask_about_one_call(store):
    mixed_log(store)
    assert ids(store.calls(CallQuery(id="call-3", direction="outbound"))) == ["call-3"]
    assert store.calls(CallQuery(id="call-3", direction="inbound")) == []


SEARCHES = ["317 555", "(317) 555-0142", "5550142", "+1 317", "acme", "PLUMB", "ACME PLUMBING"]


@pytest.mark.parametrize("search", SEARCHES)
def test_the_index_finds_what_a_scan_finds(indexed, search):
    add(indexed, payload("CallCompleted"), call(2, RemotePartyName="Bob", RemotePartyNumber="+442079460958"))
    assert ids(indexed.calls(CallQuery(search=search))) == ["1764130211.5512"]
    assert indexed.count_calls(CallQuery(search=search)) == 1


def test_the_index_only_proposes_candidates(indexed):
    # "bcabc" holds every trigram of "abcab" but not the text itself
    add(indexed, call(1, RemotePartyName="bcabc"), call(2, RemotePartyName="xabcaby"))
    assert ids(indexed.calls(CallQuery(search="abcab"))) == ["call-2"]


def test_the_index_follows_a_changed_name(indexed):
    add(indexed, call(1, RemotePartyName="Old Name"), event_type="CallStarted")
    assert ids(indexed.calls(CallQuery(search="Old Name"))) == ["call-1"]
    # a completion written over a started call may carry another caller-ID name
    add(indexed, payload("CallCompleted") | {"Id": "call-1", "RemotePartyName": "New Name"})
    assert indexed.calls(CallQuery(search="Old Name")) == []
    assert ids(indexed.calls(CallQuery(search="New Name"))) == ["call-1"]


def test_a_search_that_scans_too_long_turns_to_the_index(store, monkeypatch):
    add(store, *[call(n, n, RemotePartyName=f"Caller {n}") for n in range(2000)])
    add(store, call(5000, -1, RemotePartyName="Needle Haystack"))  # the oldest: a scan reads everything first
    used = []
    original = store._few_matches
    monkeypatch.setattr(
        store, "_few_matches", lambda search, *newest: used.append(search) or original(search, *newest)
    )
    monkeypatch.setattr(Store, "SCAN_BUDGET", 5_000)
    assert ids(store.calls(CallQuery(search="Needle"))) == ["call-5000"]
    assert used == ["Needle"]  # scanned, gave up, looked for the few matches
    used.clear()
    assert len(store.calls(CallQuery(search="Caller", limit=10))) == 10
    assert used == []  # plenty of matches: the scan was enough
    assert len(store.calls(CallQuery(limit=None))) == 2001  # the budget is gone once the search is done


@pytest.fixture
def rare_names(store, monkeypatch):
    add(store, *[call(n, n, RemotePartyName=f"Caller {n}") for n in range(2000)])
    add(
        store,
        call(5000, -1, RemotePartyName="Zoë"),
        call(5001, -2, RemotePartyName="Mazo"),
        call(5002, -3, RemotePartyName="Z"),
    )
    monkeypatch.setattr(Store, "SCAN_BUDGET", 5_000)  # the scan in order gives up early
    return store


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("zo", ["call-5000", "call-5001"]),
        ("Z", ["call-5000", "call-5001", "call-5002"]),
        ("ë", ["call-5000"]),
    ],
)
def test_a_short_search_with_few_matches_finds_them_through_the_index_vocabulary(
    rare_names, search, expected
):
    candidates, _ = rare_names._few_matches(search)
    assert "MATCH" in candidates  # the trigrams it begins, found in the vocabulary
    assert ids(rare_names.calls(CallQuery(search=search))) == expected  # at the end of a name too
    assert rare_names.count_calls(CallQuery(search=search)) == len(expected)


def test_a_short_search_that_no_trigram_begins_reads_only_what_is_not_indexed_yet(rare_names):
    candidates, _ = rare_names._few_matches("qx")
    assert "MATCH" not in candidates
    assert "search_indexed" in candidates
    assert rare_names.calls(CallQuery(search="qx")) == []


def test_calls_not_indexed_yet_are_found_all_the_same(indexed):
    add(indexed, call(1, RemotePartyName="Indexed Ian"))
    add(indexed, call(2, RemotePartyName="Waiting Walt", RemotePartyNumber="+13175550123"), index=False)
    assert indexed.calls_to_index
    assert ids(indexed.calls(CallQuery(search="walt"))) == ["call-2"]
    assert ids(indexed.calls(CallQuery(search="317 555 0123"))) == ["call-2"]
    assert ids(indexed.calls(CallQuery(search="ian"))) == ["call-1"]
    assert indexed.count_calls(CallQuery(search="walt")) == 1


def test_calls_are_indexed_a_batch_at_a_time(store):
    add(store, *[call(n, n) for n in range(5)], index=False)
    [first] = store.run_batch([lambda s: s.index_calls(3)])
    assert first == 3
    assert store.calls_to_index
    assert store.index_backlog
    [rest] = store.run_batch([lambda s: s.index_calls(3)])
    assert rest == 2
    assert not store.calls_to_index
    assert not store.index_backlog


def test_a_renamed_call_is_found_by_its_new_name_indexed_or_not(indexed):
    add(indexed, call(1, RemotePartyName="Old Name"))
    add(indexed, call(2, RemotePartyName="Other Old"), index=False)
    for call_id in ("call-1", "call-2"):
        indexed.run_batch(
            [
                lambda s, i=call_id: s._db.execute(
                    "UPDATE calls SET remote_party_name = 'Fresh Name' WHERE id = ?", (i,)
                )
            ]
        )
    indexed.run_batch([lambda s: s.index_calls(10**9)])
    assert sorted(ids(indexed.calls(CallQuery(search="fresh name")))) == ["call-1", "call-2"]
    assert indexed.calls(CallQuery(search="old name")) == []


def test_a_log_reopened_with_calls_waiting_knows_it(tmp_path):
    first = Store(tmp_path / "log.sqlite3")
    add(first, call(1), index=False)
    first.close()
    again = Store(tmp_path / "log.sqlite3")
    again.find_calls_to_index()
    assert again.calls_to_index
    again.close()


def test_a_short_search_beginning_too_many_trigrams_reads_the_table_once(rare_names, monkeypatch):
    monkeypatch.setattr("intulse_desktop.store.search.MAX_PREFIX_TERMS", 0)
    candidates, params = rare_names._few_matches("zo")
    assert candidates.startswith(r"SELECT id FROM calls WHERE (remote_party_name LIKE ? ESCAPE '\'")
    plan = str(rare_names._db.execute(f"EXPLAIN QUERY PLAN {candidates}", params).fetchall())
    assert "SCAN calls" in plan
    assert "INDEX calls" not in plan
    assert ids(rare_names.calls(CallQuery(search="zo"))) == ["call-5000", "call-5001"]


def test_upgrading_an_old_log_indexes_the_calls_it_holds(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    monkeypatch.setattr("intulse_desktop.store.schema.MIGRATIONS", MIGRATIONS[:1])
    old = Store(path)
    add(old, payload("CallCompleted"), index=False)
    assert old.schema_version == 1
    old.close()
    monkeypatch.undo()
    monkeypatch.setattr(Store, "SCAN_BUDGET", 0)
    upgraded = Store(path)
    assert upgraded.schema_version == len(MIGRATIONS)
    assert ids(upgraded.calls(CallQuery(search="plumbing"))) == ["1764130211.5512"]
    upgraded.close()


def test_a_migration_with_an_unfinished_statement_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(
        "intulse_desktop.store.schema.MIGRATIONS",
        [*MIGRATIONS, "CREATE TRIGGER t AFTER INSERT ON calls BEGIN SELECT 1;"],
    )
    with pytest.raises(Exception, match="incomplete statement"):
        Store(tmp_path / "x.sqlite3")


def test_texts_are_paged_by_keyset_and_searched(store):
    for n in range(5):
        body = ["on my way", "see the invoice", "running late", "invoice paid", "thanks"][n]
        add(
            store,
            text(n + 1, n, Body=body, From="+13175550142" if n % 2 else "+13175550199"),
            event_type=None,
        )
    first = store.messages(limit=2)
    rest = store.messages(limit=10, after=message_sort_key(first[-1]))
    assert [m.id for m in first + rest] == [5, 4, 3, 2, 1]
    assert [m.id for m in store.messages(search="INVOICE")] == [4, 2]
    assert [m.id for m in store.messages(search="(317) 555-0142")] == [4, 2]
    assert [m.id for m in store.messages(since=T0 + timedelta(minutes=3))] == [5, 4]
    assert [m.id for m in store.messages(until=T0 + timedelta(minutes=1))] == [1]


def test_prune_deletes_the_oldest_calls_and_texts_in_batches(indexed):
    add(indexed, *[call(n, n) for n in range(7)])
    for n in range(4):
        add(indexed, text(n + 1, n), event_type=None)
    cutoff = T0 + timedelta(minutes=5)
    [deleted] = indexed.run_batch([lambda s: s.prune(cutoff, limit=3)])
    assert deleted == 6  # three calls, three texts
    [deleted] = indexed.run_batch([lambda s: s.prune(cutoff, limit=3)])
    assert deleted == 3  # two more calls, the last old text
    [deleted] = indexed.run_batch([lambda s: s.prune(cutoff, limit=3)])
    assert deleted == 0
    assert ids(indexed.calls(CallQuery(limit=None))) == ["call-6", "call-5"]
    assert indexed.messages() == []
    db = indexed._db
    assert db.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM call_numbers").fetchone()[0] == 2
    assert ids(indexed.calls(CallQuery(search="ACME"))) == ["call-6", "call-5"]  # the index dropped the rest


def test_the_search_index_holds_exactly_the_calls_in_the_log(indexed):
    add(indexed, *[call(n, n, RemotePartyName=f"Name {n}") for n in range(20)], event_type="CallStarted")
    add(indexed, *[call(n, n, RemotePartyName=f"Other {n}") for n in range(15, 20)])
    indexed.run_batch([lambda s: s.prune(T0 + timedelta(minutes=10))])
    db = indexed._db

    def candidates(word):
        return db.execute(
            "SELECT count(*) FROM calls_search WHERE calls_search MATCH ?", [f'"{word}"']
        ).fetchone()[0]

    assert (candidates("Nam"), candidates("Oth")) == (5, 5)  # 10-14 named, 15-19 renamed, 0-9 pruned
    assert ids(indexed.calls(CallQuery(search="Name", limit=None))) == [f"call-{n}" for n in range(14, 9, -1)]


def test_a_text_query_can_ask_about_one_text(store):
    add(store, text(1, 0, Body="hello"), text(2, 1, Body="bye"), event_type=None)
    assert [m.id for m in store.messages(key="2")] == [2]
    assert store.messages(key="2", search="hello") == []


@pytest.mark.parametrize("search", ["+1 317 555 0199", "13175550199", "3175550199"])
def test_a_number_is_found_with_or_without_its_country_code(store, monkeypatch, search):
    add(store, call(1, RemotePartyNumber="3175550199"), call(2, RemotePartyNumber="+13175550199"))
    for budget in (Store.SCAN_BUDGET, 0):  # a scan, and the index
        monkeypatch.setattr(Store, "SCAN_BUDGET", budget)
        assert ids(store.calls(CallQuery(search=search))) == ["call-2", "call-1"]


def test_counting_unseen_missed_calls_reads_only_them(store):
    from intulse_desktop.matching import Matcher

    add(store, call(1, AnswertUtc=None), call(2))
    mine = Matcher.create("204", 77, [], "US")
    where, params = store._mine_clause(mine, by_unseen=True)
    plan = store._db.execute(
        f"EXPLAIN QUERY PLAN SELECT count(*) FROM calls WHERE outcome = 'missed' AND seen = 0 AND {where}",
        params,
    ).fetchall()
    assert "USING INDEX calls_unseen_missed" in str(plan)
    assert store.unseen_missed_count(mine) == 1
    store.run_batch([lambda s: s.mark_seen(["call-1"])])
    assert store.unseen_missed_count(mine) == 0
