from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intulse_desktop.events import (
    EVENT_TYPES,
    MAX_ATTACHMENTS,
    MAX_BODY_TEXT,
    MAX_NAME,
    MAX_NUMBER,
    MAX_SHORT,
    MAX_URL,
    CallCompleted,
    CallStarted,
    ExtensionUpdated,
    InvalidEvent,
    TextMessageReceived,
    normalize_state,
    parse,
)
from intulse_desktop.store import Store

from .helpers.builders import payload

UTC = UTC


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("CallStarted", CallStarted),
        ("CallCompleted", CallCompleted),
        ("CallCompleted-missed", CallCompleted),
        ("ExtensionUpdated", ExtensionUpdated),
        ("TextMessageReceived", TextMessageReceived),
    ],
)
def test_sample_payloads_parse_by_declared_type_and_by_shape(name, model):
    declared = parse(payload(name), model.TYPE)
    recognised = parse(payload(name))
    assert type(declared) is model
    assert recognised == declared


def test_call_started_fields():
    call = parse(payload("CallStarted"), "CallStarted")
    assert call.id == "1764130211.5512"
    assert call.linked_id == "1764130211.5510"
    assert call.client_id == 4821
    assert call.user_id == 77
    assert call.extension == "204"
    assert call.direction == "inbound"
    assert call.remote_party_name == "ACME PLUMBING"
    assert call.start_utc == datetime(2026, 11, 26, 4, 10, 11, tzinfo=UTC)


def test_answert_utc_spelling_is_read():
    call = parse(payload("CallCompleted"), "CallCompleted")
    assert call.answer_utc == datetime(2026, 11, 26, 4, 10, 19, tzinfo=UTC)
    assert call.outcome == "answered"
    assert call.duration_in_seconds == 184


def test_answer_utc_spelling_is_read_too():
    body = payload("CallCompleted")
    body["AnswerUtc"] = body.pop("AnswertUtc")
    assert parse(body, "CallCompleted").answer_utc == datetime(2026, 11, 26, 4, 10, 19, tzinfo=UTC)


def test_missed_and_unanswered_outcomes():
    missed = parse(payload("CallCompleted-missed"), "CallCompleted")
    assert missed.answer_utc is None
    assert missed.outcome == "missed"
    outbound = parse(payload("CallCompleted-missed") | {"Direction": "Outbound"}, "CallCompleted")
    assert outbound.outcome == "unanswered"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T04:15:02.413", datetime(2026, 11, 26, 4, 15, 2, 413000, tzinfo=UTC)),
        ("2026-11-26T04:15:02Z", datetime(2026, 11, 26, 4, 15, 2, tzinfo=UTC)),
        ("2026-11-26T04:15:02+00:00", datetime(2026, 11, 26, 4, 15, 2, tzinfo=UTC)),
        ("2026-11-25T23:15:02-05:00", datetime(2026, 11, 26, 4, 15, 2, tzinfo=UTC)),
        ("2026-11-26T09:45:02.1234567+05:30", datetime(2026, 11, 26, 4, 15, 2, 123456, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware_utc(text, expected):
    call = parse(payload("CallStarted") | {"StartUtc": text}, "CallStarted")
    assert call.start_utc == expected
    assert call.start_utc.utcoffset() == timedelta(0)


def test_unknown_fields_are_ignored():
    body = payload("CallStarted") | {"NewField": {"nested": [1, 2]}, "Queue": "sales"}
    assert parse(body, "CallStarted") == parse(payload("CallStarted"), "CallStarted")


def test_key_case_is_forgiven():
    body = {k.lower(): v for k, v in payload("CallStarted").items()}
    assert parse(body, "CallStarted") == parse(payload("CallStarted"), "CallStarted")


def test_numbers_where_text_is_expected_are_accepted():
    call = parse(payload("CallStarted") | {"Id": 1764130211, "Extension": 204}, "CallStarted")
    assert call.id == "1764130211"
    assert call.extension == "204"


def test_null_names_become_empty_text():
    call = parse(payload("CallStarted") | {"RemotePartyName": None}, "CallStarted")
    assert call.remote_party_name == ""


def test_older_text_shape_is_keyed_by_a_stable_hash():
    old = {"From": "+13175550142", "To": "+13175550100", "Body": "hi", "CreatedUtc": "2026-11-26T04:12:40"}
    first, again = parse(old), parse(dict(old))
    assert isinstance(first, TextMessageReceived)
    assert first.id is None
    assert first.attachments == []
    assert first.key == again.key
    assert first.key.startswith("sha256:")
    assert parse(old | {"Body": "hi!"}).key != first.key


def test_text_with_id_is_keyed_by_id():
    assert parse(payload("TextMessageReceived")).key == "90211"


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("NOT_INUSE", "idle"),
        ("Idle", "idle"),
        ("INUSE", "in_use"),
        ("InUse", "in_use"),
        ("inuse", "in_use"),
        ("BUSY", "busy"),
        ("Busy", "busy"),
        ("RINGING", "ringing"),
        ("Ringing", "ringing"),
        ("RINGINUSE", "ringing"),
        ("InUse&Ringing", "ringing"),
        ("ONHOLD", "on_hold"),
        ("Hold", "on_hold"),
        ("InUse&Hold", "on_hold"),
        ("UNAVAILABLE", "unavailable"),
        ("Unavailable", "unavailable"),
        ("INVALID", "unavailable"),
        ("UNKNOWN", "unknown"),
        ("Unknown", "unknown"),
        ("DoNotDisturb", "unknown"),
        ("", "unknown"),
    ],
)
def test_status_normalised_to_state(status, state):
    assert normalize_state(status) == state


def test_extension_updated_keeps_raw_status():
    update = parse({"Extension": "204", "Status": "Paging"}, "ExtensionUpdated")
    assert update.state == "unknown"
    assert update.status == "Paging"


@pytest.mark.parametrize("body", [[], "text", 3, None, [payload("CallStarted")]])
def test_a_body_that_is_not_an_object_is_invalid(body):
    with pytest.raises(InvalidEvent, match="JSON object"):
        parse(body, "CallStarted")


def test_missing_fields_are_named():
    with pytest.raises(InvalidEvent) as info:
        parse({"Id": "1"}, "CallStarted")
    assert set(info.value.fields) == {"Extension", "Direction", "StartUtc"}


def test_wrong_types_are_named():
    with pytest.raises(InvalidEvent) as info:
        parse(payload("CallStarted") | {"Direction": "Sideways", "StartUtc": "yesterday"}, "CallStarted")
    assert set(info.value.fields) == {"Direction", "StartUtc"}


def test_attachment_fields_are_named_by_position():
    body = payload("TextMessageReceived")
    body["Attachments"][0]["SizeInBytes"] = "big"
    with pytest.raises(InvalidEvent) as info:
        parse(body, "TextMessageReceived")
    assert info.value.fields == ("Attachments.0.SizeInBytes",)


TEXT_BOUNDS = [
    ("CallStarted", "RemotePartyName", MAX_NAME),
    ("CallStarted", "UserDisplayName", MAX_NAME),
    ("CallStarted", "RemotePartyNumber", MAX_NUMBER),
    ("CallStarted", "Extension", MAX_NUMBER),
    ("CallStarted", "Id", MAX_SHORT),
    ("CallStarted", "LinkedId", MAX_SHORT),
    ("CallCompleted", "Recording", MAX_URL),
    ("ExtensionUpdated", "Extension", MAX_NUMBER),
    ("ExtensionUpdated", "Status", MAX_SHORT),
    ("ExtensionUpdated", "ConnectedLineName", MAX_NAME),
    ("ExtensionUpdated", "ConnectedLineNumber", MAX_NUMBER),
    ("TextMessageReceived", "From", MAX_NUMBER),
    ("TextMessageReceived", "To", MAX_NUMBER),
    ("TextMessageReceived", "Body", MAX_BODY_TEXT),
]


@pytest.mark.parametrize(("event_type", "field", "bound"), TEXT_BOUNDS)
def test_a_text_longer_than_its_bound_is_invalid_naming_the_field(event_type, field, bound):
    with pytest.raises(InvalidEvent, match=f"at most {bound} characters") as info:
        parse(payload(event_type) | {field: "9" * (bound + 1)}, event_type)
    assert info.value.fields == (field,)


@pytest.mark.parametrize(("event_type", "field", "bound"), TEXT_BOUNDS)
def test_a_text_as_long_as_its_bound_is_valid(event_type, field, bound):
    parse(payload(event_type) | {field: "9" * bound}, event_type)


@pytest.mark.parametrize(("field", "bound"), [("Name", MAX_NAME), ("Url", MAX_URL), ("MimeType", MAX_SHORT)])
def test_an_attachment_text_longer_than_its_bound_is_invalid_naming_it(field, bound):
    body = payload("TextMessageReceived")
    body["Attachments"][0][field] = "x" * (bound + 1)
    with pytest.raises(InvalidEvent) as info:
        parse(body, "TextMessageReceived")
    assert info.value.fields == (f"Attachments.0.{field}",)


def test_a_text_with_more_attachments_than_the_bound_is_invalid():
    body = payload("TextMessageReceived")
    body["Attachments"] *= MAX_ATTACHMENTS + 1
    with pytest.raises(InvalidEvent, match=f"at most {MAX_ATTACHMENTS} items") as info:
        parse(body, "TextMessageReceived")
    assert info.value.fields == ("Attachments",)


def test_unrecognisable_shape_says_to_use_a_typed_url():
    with pytest.raises(InvalidEvent, match="EventType"):
        parse({"Hello": "world"})


any_text = st.text(st.characters(exclude_categories=()))  # lone surrogates too, as JSON can escape them
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)
field_names = st.sampled_from(
    [
        "Id",
        "Extension",
        "Direction",
        "StartUtc",
        "AnswertUtc",
        "Status",
        "From",
        "To",
        "Body",
        "CreatedUtc",
        "Attachments",
        "UserId",
        "DurationInSeconds",
        "Recording",
        "id",
        "from",
    ]
)
event_like = st.dictionaries(field_names, json_values, max_size=10)


@settings(max_examples=400, deadline=None)
@given(body=st.one_of(json_values, event_like), event_type=st.sampled_from([None, *EVENT_TYPES]))
def test_no_json_body_makes_the_parser_raise_anything_but_invalid_event(body, event_type):
    # Only JSON-representable bodies reach the parser.
    body = json.loads(json.dumps(body))
    with contextlib.suppress(InvalidEvent):
        parse(body, event_type)


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("log") / "log.sqlite3")
    yield store
    store.close()


def _redrawn(value, draw):
    """The sample with every text (but times and direction) and every number drawn anew."""
    if isinstance(value, dict):
        return {
            key: item if key.endswith("Utc") or key == "Direction" else _redrawn(item, draw)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redrawn(item, draw) for item in value]
    if isinstance(value, str):
        return draw(any_text)
    if isinstance(value, int) and not isinstance(value, bool):
        return draw(st.integers())  # past 64 bits too
    return value


@settings(max_examples=200, deadline=None)
@given(event_type=st.sampled_from(EVENT_TYPES), data=st.data())
def test_what_the_parser_accepts_can_be_stored(log, event_type, data):
    body = json.loads(json.dumps(_redrawn(payload(event_type), data.draw)))
    try:
        event = parse(body, event_type)
    except InvalidEvent:
        return
    [result] = log.run_batch([lambda store: store.record(event, False, datetime.now(UTC))])
    assert not isinstance(result, Exception), result
