from __future__ import annotations

import json
import os
import stat
from datetime import time

import pytest

from intulse_desktop.paths import Paths
from intulse_desktop.settings import Settings, SettingsError


@pytest.fixture
def path(home):
    return Paths.resolve().settings_file


def test_defaults_when_there_is_no_file(path):
    settings = Settings.load(path)
    assert settings.extension == ""
    assert settings.my_numbers == []
    assert settings.user_id is None
    assert settings.default_region == "US"
    assert settings.listen_host == "127.0.0.1"
    assert 1 <= settings.listen_port <= 65535
    assert settings.public_url is None


def test_saved_settings_load_back(path):
    Settings(
        extension="204", my_numbers=["(317) 555-0100"], user_id=77, public_url="https://x.example.com/"
    ).save(path)
    loaded = Settings.load(path)
    assert loaded.extension == "204"
    assert loaded.user_id == 77
    assert loaded.my_numbers == ["+13175550100"]
    assert loaded.public_url == "https://x.example.com"


def test_saving_replaces_the_file_atomically(path, monkeypatch):
    Settings(extension="204").save(path)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        Settings(extension="999").save(path)
    assert Settings.load(path).extension == "204"
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".settings")] == []


@pytest.mark.posix
def test_the_file_is_private(path):
    Settings().save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_broken_json_is_one_clear_message(path):
    path.parent.mkdir(parents=True)
    path.write_text('{"extension": "204",')
    with pytest.raises(SettingsError, match=r"settings\.json is not valid JSON"):
        Settings.load(path)


def test_an_invalid_value_names_the_key(path):
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"listen_port": "eighty"}))
    with pytest.raises(SettingsError, match="listen_port"):
        Settings.load(path)


def test_a_file_that_is_not_an_object_is_refused(path):
    path.parent.mkdir(parents=True)
    path.write_text("[]")
    with pytest.raises(SettingsError, match="JSON object"):
        Settings.load(path)


def test_unknown_keys_from_a_newer_version_are_ignored(path):
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"extension": "204", "future_option": True}))
    assert Settings.load(path).extension == "204"


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("my_numbers", "12", "my_numbers"),
        ("default_region", "XX", "default_region"),
        ("listen_port", "0", "listen_port"),
        ("listen_port", "http", "listen_port: enter a whole number"),
        ("listen_port", "70000", "listen_port: must be at most 65535"),
        ("listen_host", "not a host!", "listen_host"),
        ("public_url", "ftp://example.com", "public_url"),
        ("extension", "20 4", "extension: an extension is up to 32 letters"),
        ("user_id", "abc", "user_id"),
        ("quiet_start", "7pm", "quiet_start: enter a time as HH:MM"),
        ("quiet_days", "funday", "quiet_days"),
        ("card_seconds", "0", "card_seconds: must be at least 1"),
        ("card_corner", "middle", "card_corner"),
        ("call_back_method", "pigeon", "call_back_method"),
        ("hub_url", "https://a.example,ftp://b.example", "hub_url: .*'ftp://b.example' is not a http"),
        ("broker_url", "http://nats.example:4222", "broker_url: .*is not a nats:// or tls:// URL"),
        (
            "broker_url",
            "nats://hub:secret@nats.example:4222",
            "broker_url: .*keep the password out of the URL",
        ),
        ("broker_replicas", "7", "broker_replicas: must be at most 5"),
    ],
)
def test_invalid_text_values_name_the_key_and_say_why(key, text, message):
    with pytest.raises(SettingsError, match=message):
        Settings().with_text(key, text)


# --- notifications: quiet hours, break-through numbers, cards -----------------------------


def test_several_hubs_and_nats_servers_are_a_comma_list_without_slashes_or_repeats():
    settings = Settings().with_text("hub_url", " https://a.example/ , https://b.example,https://a.example")
    assert settings.hub_url == "https://a.example,https://b.example"
    settings = settings.with_text("broker_url", "nats://n1:4222, tls://n2:4222")
    assert settings.broker_url == "nats://n1:4222,tls://n2:4222"


def test_break_through_numbers_are_stored_as_e164_once():
    settings = Settings(breakthrough_numbers=["(317) 555-0142", "+13175550142", "+44 20 7946 0958"])
    assert settings.breakthrough_numbers == ["+13175550142", "+442079460958"]


def test_a_bad_break_through_number_names_the_setting():
    with pytest.raises(SettingsError, match=r"breakthrough_numbers: '12' is not a phone number"):
        Settings().with_values({"breakthrough_numbers": ["12"]})


def test_quiet_days_are_kept_in_week_order_and_read_from_text():
    assert Settings().with_text("quiet_days", "sun, mon,sat").quiet_days == ["mon", "sat", "sun"]


def test_quiet_hours_need_a_day():
    with pytest.raises(SettingsError, match="quiet_days: choose at least one day"):
        Settings().with_values({"quiet_hours": True, "quiet_days": []})


def test_quiet_times_are_written_and_read_as_hh_mm(tmp_path):
    settings = Settings().with_text("quiet_start", "19:30")
    assert settings.quiet_start == time(19, 30)
    assert settings.text_of("quiet_start") == "19:30"
    settings.save(tmp_path / "s.json")
    assert '"quiet_start": "19:30"' in (tmp_path / "s.json").read_text()
    assert Settings.load(tmp_path / "s.json").quiet_start == time(19, 30)


def test_a_card_that_stays_until_dismissed_is_an_empty_card_time():
    assert Settings().with_text("card_seconds", "").card_seconds is None


def test_try_values_gives_each_problem_its_setting():
    settings, problems = Settings().try_values({"listen_port": "0", "extension": "a b", "my_numbers": []})
    assert settings is None
    assert problems == {
        "listen_port": "must be at least 1",
        "extension": "an extension is up to 32 letters, digits, *, #, _, . or -",
    }


def test_try_values_puts_a_check_across_settings_on_the_setting_it_names():
    assert Settings().try_values({"my_numbers": ["12"]}) == (
        None,
        {"my_numbers": "'12' is not a phone number"},
    )


def test_text_values_are_parsed_by_type():
    s = Settings().with_text("my_numbers", "317-555-0100, +44 20 7946 0958").with_text("user_id", "77")
    assert s.my_numbers == ["+13175550100", "+442079460958"]
    assert s.text_of("my_numbers") == "+13175550100,+442079460958"
    assert s.user_id == 77
    assert s.with_text("user_id", "").user_id is None


def test_numbers_use_the_default_region():
    assert Settings().with_values({"default_region": "gb", "my_numbers": ["020 7946 0958"]}).my_numbers == [
        "+442079460958"
    ]


def test_unknown_key_is_refused():
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        Settings().with_text("colour", "blue")


@pytest.mark.parametrize(
    ("settings", "base"),
    [
        (Settings(listen_port=9000), "http://127.0.0.1:9000"),
        (Settings(listen_host="0.0.0.0", listen_port=9000), "http://127.0.0.1:9000"),
        (Settings(listen_host="::1", listen_port=9000), "http://[::1]:9000"),
        (Settings(public_url="https://abc.trycloudflare.com/"), "https://abc.trycloudflare.com"),
    ],
)
def test_base_url_prefers_the_public_url(settings, base):
    assert settings.base_url() == base


def test_paths_follow_the_home_override(home, tmp_path):
    assert Paths.resolve().database == home / "calllog.sqlite3"
    assert Paths.resolve(tmp_path / "other").settings_file == tmp_path / "other" / "settings.json"


def test_paths_default_to_the_platform_dirs(monkeypatch):
    monkeypatch.delenv("INTULSE_DESKTOP_HOME")
    paths = Paths.resolve()
    assert not paths.overridden
    assert "intulse-desktop" in str(paths.database)
