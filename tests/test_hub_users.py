"""The hub's users: tokens kept only as hashes, checked in constant time, removed at once."""

from __future__ import annotations

import sqlite3

import pytest

from intulse_desktop.hub.users import ALL, Users, UsersError, parse_presence, token_hash


@pytest.fixture
def users(tmp_path):
    u = Users(tmp_path / "hub-users.sqlite3")
    yield u
    u.close()


def test_a_new_users_token_works_and_identifies_them(users):
    user, token = users.add("204", ["(317) 555-0100"], user_id=77, name="Dana", presence=("205",))
    assert users.authenticate(token) == user
    assert (user.extension, user.numbers, user.user_id, user.name, user.presence) == (
        "204",
        ("+13175550100",),
        77,
        "Dana",
        ("205",),
    )


def test_only_a_hash_of_the_token_is_stored(users, tmp_path):
    _, token = users.add("204")
    dump = "\n".join(sqlite3.connect(tmp_path / "hub-users.sqlite3").iterdump())
    secret = token.split(".")[1]
    assert secret not in dump
    stored = (
        sqlite3.connect(tmp_path / "hub-users.sqlite3").execute("SELECT token_hash FROM users").fetchone()[0]
    )
    assert stored == token_hash(token)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: "",
        lambda t: t + "x",
        lambda t: t.split(".")[0],
    ],
)
def test_a_wrong_token_is_refused(users, mangle):
    _, token = users.add("204")
    assert users.authenticate(mangle(token)) is None


def test_each_user_gets_their_own_token(users):
    _, one = users.add("204")
    _, two = users.add("204")
    assert one != two
    assert users.authenticate(one).id != users.authenticate(two).id


def test_a_removed_users_token_stops_working(users):
    user, token = users.add("204")
    assert users.remove([user.id]) == 1
    assert users.authenticate(token) is None
    assert users.all() == []


def test_another_process_changing_users_is_noticed(users, tmp_path):
    assert not users.changed()
    other = Users(tmp_path / "hub-users.sqlite3")
    other.add("205")
    other.close()
    assert users.changed()
    assert not users.changed()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"extension": ""}, "needs an extension"),
        ({"extension": "20 4"}, "extension"),
        ({"extension": "204", "numbers": ["not a number"]}, "not a phone number"),
        ({"extension": "204", "user_id": -1}, "user_id"),
    ],
)
def test_bad_users_are_refused_with_a_reason(users, fields, message):
    extension = fields.pop("extension")
    with pytest.raises(UsersError, match=message):
        users.add(extension, **fields)
    assert users.all() == []


def test_presence_is_all_a_list_or_only_ones_own():
    assert parse_presence("ALL") == ALL
    assert parse_presence(" 205, 206,205 ") == ("205", "206")
    assert parse_presence("") == ()
    with pytest.raises(UsersError):
        parse_presence("20 5")


def test_users_of_an_older_hub_keep_sharing_presence_with_the_line(tmp_path):
    from intulse_desktop.hub.users import SCHEMA

    path = tmp_path / "old-users.sqlite3"
    old = sqlite3.connect(path)
    old.execute(SCHEMA[0])
    old.execute(
        "INSERT INTO users (key_id, token_hash, extension, user_id, numbers, name, presence, created_utc) "
        "VALUES ('k', x'00', '204', NULL, '', '', 'all', '2026-01-01T00:00:00Z')"
    )
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    upgraded = Users(path)
    [user] = upgraded.all()
    assert (user.extension, user.presence, user.presence_lines) == ("204", ALL, True)
    upgraded.close()
