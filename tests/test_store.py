from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from intulse_desktop.events import parse
from intulse_desktop.matching import Matcher
from intulse_desktop.store import MAX_DELIVERIES, MIGRATIONS, CallQuery, Store, StoreError

from .conftest import payload

UTC = UTC
NOW = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
ME = Matcher.create("204", None, [], "US")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "log.sqlite3")
    yield s
    s.close()


def record(store, body, event_type=None, mine=False):
    event = parse(body, event_type)
    [result] = store.run_batch([lambda s: s.record(event, mine, NOW)])
    if isinstance(result, Exception):
        raise result
    return result


def call(n, **fields):
    """A CallCompleted body for call number n."""
    return payload("CallCompleted") | {"Id": f"call-{n}", "LinkedId": f"call-{n}"} | fields


def test_durable_settings(store):
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_schema_version_is_in_user_version(store, tmp_path):
    assert store.schema_version == len(MIGRATIONS)
    store.close()
    again = Store(tmp_path / "log.sqlite3")
    assert again.schema_version == len(MIGRATIONS)
    again.close()


def test_a_log_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "newer.sqlite3"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_migrations_run_step_by_step_from_an_older_version(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    Store(path).close()
    step = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"
    monkeypatch.setattr("intulse_desktop.store.schema.MIGRATIONS", [*MIGRATIONS, step])
    upgraded = Store(path)
    assert upgraded.schema_version == len(MIGRATIONS) + 1
    upgraded._db.execute("INSERT INTO notes (text) VALUES ('ok')")
    upgraded.close()


def test_started_then_completed_is_one_row(store):
    assert record(store, payload("CallStarted"), "CallStarted") is True
    assert store.call("1764130211.5512").outcome is None
    assert record(store, payload("CallCompleted"), "CallCompleted") is True
    [row] = store.calls()
    assert row.outcome == "answered"
    assert row.duration_seconds == 184
    assert row.answer_utc == datetime(2026, 11, 26, 4, 10, 19, tzinfo=UTC)
    assert row.recording.endswith(".mp3")


def test_completed_then_late_started_keeps_the_completion(store):
    assert record(store, payload("CallCompleted"), "CallCompleted") is True
    assert record(store, payload("CallStarted"), "CallStarted") is False
    [row] = store.calls()
    assert row.outcome == "answered"
    assert row.duration_seconds == 184


@pytest.mark.parametrize("name", ["CallStarted", "CallCompleted", "TextMessageReceived", "ExtensionUpdated"])
def test_a_repeated_delivery_changes_nothing_and_is_not_new(store, name):
    assert record(store, payload(name), name) is True
    before = store.calls(), store.messages(), store.presence()
    assert record(store, payload(name), name) is False
    assert (store.calls(), store.messages(), store.presence()) == before


def test_a_second_completion_does_not_overwrite_the_first(store):
    record(store, payload("CallCompleted"), "CallCompleted")
    assert record(store, payload("CallCompleted") | {"DurationInSeconds": 5}, "CallCompleted") is False
    assert store.calls()[0].duration_seconds == 184


def test_outcomes(store):
    record(store, payload("CallCompleted-missed"), "CallCompleted")
    record(store, call(2, Direction="Outbound", AnswertUtc=None), "CallCompleted")
    record(store, call(3), "CallCompleted")
    outcomes = {row.id: row.outcome for row in store.calls()}
    assert outcomes == {"1764130502.5601": "missed", "call-2": "unanswered", "call-3": "answered"}


def test_text_with_attachments(store):
    record(store, payload("TextMessageReceived"))
    [message] = store.messages()
    assert message.id == 90211
    assert message.body.startswith("Running 10 minutes late")
    [attachment] = message.attachments
    assert attachment.is_image
    assert attachment.name == "part.jpg"
    assert attachment.size_in_bytes == 48213


def test_older_text_shape_is_stored_once(store):
    old = {"From": "3175550142", "To": "3175550100", "Body": "hi", "CreatedUtc": "2026-11-26T04:12:40"}
    assert record(store, old) is True
    assert record(store, dict(old)) is False
    [message] = store.messages()
    assert message.id is None
    assert message.key.startswith("sha256:")
    assert message.attachments == ()


def test_presence_keeps_the_latest_state_with_its_time(store):
    record(store, {"Extension": "204", "Status": "RINGING"})
    assert (
        record(store, {"Extension": "204", "Status": "INUSE", "ConnectedLineNumber": "+13175550142"}) is True
    )
    record(store, {"Extension": "205", "Status": "NOT_INUSE"})
    [mine] = store.presence("204")
    assert (mine.state, mine.status, mine.connected_line_number) == ("in_use", "INUSE", "+13175550142")
    assert mine.updated_utc == NOW
    assert [p.extension for p in store.presence()] == ["204", "205"]


def test_deliveries_are_bounded_and_newest_first(store):
    store.run_batch(
        [
            lambda s, i=i: s.log_delivery(NOW, "CallStarted", 422, detail=f"bad {i}")
            for i in range(MAX_DELIVERIES + 20)
        ]
    )
    record(store, payload("CallStarted"), "CallStarted", mine=True)
    rows = store.deliveries(limit=MAX_DELIVERIES * 2)
    assert len(rows) == MAX_DELIVERIES
    newest = rows[0]
    assert (newest.event_type, newest.http_status, newest.stored, newest.is_new, newest.is_mine) == (
        "CallStarted",
        200,
        True,
        True,
        True,
    )
    assert newest.event_key == "1764130211.5512"


def test_recent_calls_are_paged_newest_first(store):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(25):
        record(store, call(n, StartUtc=(start + timedelta(minutes=n)).isoformat()), "CallCompleted")
    first = store.calls(CallQuery(limit=10))
    second = store.calls(CallQuery(limit=10, offset=10))
    assert [r.id for r in first] == [f"call-{n}" for n in range(24, 14, -1)]
    assert [r.id for r in second] == [f"call-{n}" for n in range(14, 4, -1)]
    assert store.count_calls() == 25


@pytest.mark.parametrize("search", ["317 555", "(317) 555-0142", "5550142", "+1 317", "acme", "PLUMB"])
def test_search_by_name_or_number_ignores_formatting(store, search):
    record(store, payload("CallCompleted"), "CallCompleted")
    record(store, call(2, RemotePartyName="Bob", RemotePartyNumber="+442079460958"), "CallCompleted")
    assert [r.id for r in store.calls(CallQuery(search=search))] == ["1764130211.5512"]


def test_search_treats_like_wildcards_as_text(store):
    record(store, call(1, RemotePartyName="100% Plumbing"), "CallCompleted")
    record(store, call(2, RemotePartyName="Other"), "CallCompleted")
    assert [r.id for r in store.calls(CallQuery(search="%"))] == ["call-1"]


def test_filters_combine(store):
    record(store, payload("CallCompleted-missed"), "CallCompleted")
    record(store, call(2, Direction="Outbound"), "CallCompleted")
    record(store, call(3, Recording=None), "CallCompleted")
    assert [r.id for r in store.calls(CallQuery(outcome="missed"))] == ["1764130502.5601"]
    assert [r.id for r in store.calls(CallQuery(direction="outbound"))] == ["call-2"]
    assert {r.id for r in store.calls(CallQuery(with_recording=True))} == {"call-2"}


def test_all_calls_and_texts_with_one_number_in_any_spelling(store):
    record(store, payload("CallCompleted"), "CallCompleted")  # +13175550142
    record(store, call(2, RemotePartyNumber="3175550142"), "CallCompleted")
    record(store, call(3, RemotePartyNumber="+13175550199"), "CallCompleted")
    record(store, payload("TextMessageReceived"))  # from +13175550142
    for spelling in ["(317) 555-0142", "13175550142", "+1 317-555-0142"]:
        assert {r.id for r in store.calls_with(spelling)} == {"1764130211.5512", "call-2"}
        assert [m.id for m in store.messages_with(spelling)] == [90211]


def test_unseen_missed_calls_are_counted_for_me_and_marked_seen(store):
    record(store, payload("CallCompleted-missed"), "CallCompleted")  # ext 204, missed
    record(store, call(2, Extension="205", AnswertUtc=None), "CallCompleted")  # someone else's
    record(store, call(3, AnswertUtc=None), "CallCompleted")  # mine, missed
    record(store, call(4), "CallCompleted")  # mine, answered
    assert store.unseen_missed_count(ME) == 2
    store.run_batch([lambda s: s.mark_seen(["call-3"])])
    assert store.unseen_missed_count(ME) == 1
    store.run_batch([lambda s: s.mark_seen(["1764130502.5601"])])
    assert store.unseen_missed_count(ME) == 0
    assert store.unseen_missed_count(Matcher.create("205", None, [], "US")) == 1


def test_mine_by_user_id(store):
    record(store, call(1, Extension="999", UserId=77, AnswertUtc=None), "CallCompleted")
    assert store.unseen_missed_count(Matcher.create("", 77, [], "US")) == 1
    assert store.unseen_missed_count(Matcher.create("", None, [], "US")) == 0


def test_a_failing_job_is_rolled_back_alone(store):
    event = parse(payload("CallStarted"), "CallStarted")

    def broken(s):
        s.record(parse(call(9), "CallCompleted"), False, NOW)
        raise ValueError("boom")

    results = store.run_batch([broken, lambda s: s.record(event, False, NOW)])
    assert isinstance(results[0], ValueError)
    assert results[1] is True
    assert [r.id for r in store.calls()] == ["1764130211.5512"]


def test_a_failing_commit_fails_every_job(store):
    store._db.execute("PRAGMA query_only = ON")
    event = parse(payload("CallStarted"), "CallStarted")
    results = store.run_batch([lambda s: s.record(event, False, NOW)] * 3)
    assert all(isinstance(r, StoreError) for r in results)


def test_a_database_error_inside_a_job_is_a_store_error(store):
    def full_disk(s):
        raise sqlite3.OperationalError("database or disk is full")

    [result] = store.run_batch([full_disk])
    assert isinstance(result, StoreError)
    assert "disk is full" in str(result)


def test_recent_callers_are_my_last_five_numbers_newest_first(store):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    numbers = ["+13175550101", "+13175550102", "+13175550103", "+13175550104", "+13175550105", "+13175550106"]
    for n, number in enumerate(numbers + ["(317) 555-0101"]):  # the first number calls again, last
        record(
            store,
            call(n, RemotePartyNumber=number, StartUtc=(start + timedelta(minutes=n)).isoformat()),
            "CallCompleted",
        )
    record(
        store,
        call(
            99,
            Extension="205",
            RemotePartyNumber="+13175550199",
            StartUtc=(start + timedelta(hours=1)).isoformat(),
        ),
        "CallCompleted",
    )
    recent = store.recent_callers(ME)
    assert [r.id for r in recent] == ["call-6", "call-5", "call-4", "call-3", "call-2"]
