from __future__ import annotations

import json
import os
import stat

import pytest

from intulse_desktop.paths import Paths
from intulse_desktop.settings import Settings, SettingsError


@pytest.fixture
def path(home):
    return Paths.resolve().settings_file


def test_defaults_when_there_is_no_file(path):
    settings = Settings.load(path)
    assert settings.extension == "" and settings.my_numbers == [] and settings.user_id is None
    assert settings.default_region == "US"
    assert settings.listen_host == "127.0.0.1" and 1 <= settings.listen_port <= 65535
    assert settings.public_url is None


def test_saved_settings_load_back(path):
    Settings(extension="204", my_numbers=["(317) 555-0100"], user_id=77, public_url="https://x.example.com/").save(path)
    loaded = Settings.load(path)
    assert loaded.extension == "204" and loaded.user_id == 77
    assert loaded.my_numbers == ["+13175550100"]
    assert loaded.public_url == "https://x.example.com"


def test_saving_replaces_the_file_atomically(path, monkeypatch):
    Settings(extension="204").save(path)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        Settings(extension="999").save(path)
    assert Settings.load(path).extension == "204"
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".settings")] == []


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
        ("listen_host", "not a host!", "listen_host"),
        ("public_url", "ftp://example.com", "public_url"),
        ("extension", "20 4", "extension"),
        ("user_id", "abc", "user_id"),
    ],
)
def test_invalid_text_values_name_the_key(key, text, message):
    with pytest.raises(SettingsError, match=message):
        Settings().with_text(key, text)


def test_text_values_are_parsed_by_type():
    s = Settings().with_text("my_numbers", "317-555-0100, +44 20 7946 0958").with_text("user_id", "77")
    assert s.my_numbers == ["+13175550100", "+442079460958"]
    assert s.text_of("my_numbers") == "+13175550100,+442079460958"
    assert s.user_id == 77 and s.with_text("user_id", "").user_id is None


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
    assert not paths.overridden and "intulse-desktop" in str(paths.database)
