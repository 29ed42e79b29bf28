from __future__ import annotations

import pytest

from intulse_desktop.events import parse
from intulse_desktop.matching import Matcher, format_number, normalize_number, number_key

from .helpers.builders import payload


@pytest.mark.parametrize(
    "raw",
    ["+13175550142", "13175550142", "3175550142", "(317) 555-0142", "317.555.0142", " +1 317 555 0142 "],
)
def test_one_number_in_many_spellings_is_one_key(raw):
    assert normalize_number(raw, "US") == "+13175550142"


def test_international_numbers_without_plus_are_understood():
    assert normalize_number("442079460958", "US") == "+442079460958"
    assert normalize_number("020 7946 0958", "GB") == "+442079460958"


@pytest.mark.parametrize("raw", ["", "abc", "+1"])
def test_what_is_not_a_number_has_no_e164(raw):
    assert normalize_number(raw) is None


def test_short_numbers_are_keyed_by_their_digits():
    assert number_key("204") == "204"


@pytest.mark.parametrize(
    ("raw", "region", "shown"),
    [
        ("+13175550142", "US", "(317) 555-0142"),
        ("3175550142", "US", "(317) 555-0142"),
        ("+442079460958", "US", "+44 20 7946 0958"),
        ("+442079460958", "GB", "020 7946 0958"),
        ("204", "US", "204"),
    ],
)
def test_numbers_are_formatted_for_people(raw, region, shown):
    assert format_number(raw, region) == shown


@pytest.fixture
def me():
    return Matcher.create("204", 77, ["(317) 555-0100"], "US")


def test_my_calls_by_extension(me):
    assert me.is_mine(parse(payload("CallStarted") | {"UserId": None}, "CallStarted"))
    assert not me.is_mine(parse(payload("CallStarted") | {"Extension": "205", "UserId": 12}, "CallStarted"))


def test_my_calls_by_user_id(me):
    assert me.is_mine(parse(payload("CallCompleted") | {"Extension": "999", "UserId": 77}, "CallCompleted"))


def test_user_id_is_not_matched_when_i_have_none():
    me = Matcher.create("204", None, [], "US")
    assert not me.is_mine(parse(payload("CallStarted") | {"Extension": "999", "UserId": None}, "CallStarted"))


def test_no_extension_set_matches_no_extension():
    nobody = Matcher.create("", None, [], "US")
    assert not nobody.is_mine(parse(payload("CallStarted") | {"Extension": ""}, "CallStarted"))


def test_a_stored_call_is_mine_by_extension_or_user_id(me):
    assert me.owns_call("204", None)
    assert me.owns_call(" 204 ", 12)
    assert me.owns_call("999", 77)
    assert not me.owns_call("205", 12)
    assert not me.owns_call("205", None)
    assert not Matcher.create("204", None, [], "US").owns_call("999", None)  # no user id: None is no match
    assert not Matcher.create("", None, [], "US").owns_call("", None)  # no extension set: none is mine


@pytest.mark.parametrize("to", ["+13175550100", "13175550100", "(317) 555-0100", "317-555-0100"])
def test_my_texts_by_number_in_any_spelling(me, to):
    assert me.is_mine(parse(payload("TextMessageReceived") | {"To": to}))


def test_texts_to_other_numbers_are_not_mine(me):
    assert not me.is_mine(parse(payload("TextMessageReceived") | {"To": "+13175550101"}))


def test_presence_of_my_extension(me):
    assert me.is_mine(parse(payload("ExtensionUpdated")))
    assert not me.is_mine(parse(payload("ExtensionUpdated") | {"Extension": "205"}))
