"""``intulse-desktop register`` and ``set-api-key``: exit codes, output, and the key kept out of sight."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from intulse_desktop import cli
from intulse_desktop.events import EVENT_TYPES
from intulse_desktop.paths import Paths
from intulse_desktop.receiver import webhook_urls
from intulse_desktop.secrets import SecretStore
from intulse_desktop.settings import Settings

from .conftest import API_KEY

PUBLIC = "https://desk.example.com"


@pytest.fixture(autouse=True)
def _logging(restore_logging):
    pass


@pytest.fixture
def paths() -> Paths:
    return Paths.resolve()  # INTULSE_DESKTOP_HOME: the test's own folder


@pytest.fixture
def api(fake_intulse, monkeypatch):
    """The fake Intulse, reached through INTULSE_API_URL; the key in INTULSE_API_KEY."""
    monkeypatch.setenv("INTULSE_API_URL", fake_intulse.url)
    monkeypatch.setenv("INTULSE_API_KEY", API_KEY)
    return fake_intulse


async def run(*argv: str) -> int:
    """The command line, in a thread: it runs its own event loop while the fake serves on ours."""
    return await asyncio.to_thread(cli.main, list(argv))


# --- register ------------------------------------------------------------------------------


async def test_register_without_a_key_says_how_to_set_one(fake_intulse, capsys):
    assert await run("register", "--public-url", PUBLIC) == 2
    err = capsys.readouterr().err
    assert "INTULSE_API_KEY" in err
    assert "intulse-desktop set-api-key" in err
    assert not fake_intulse.requests


async def test_register_without_a_public_url_is_a_usage_error(api, capsys):
    assert await run("register") == 2
    assert "--public-url" in capsys.readouterr().err
    assert not api.requests


async def test_register_refuses_a_bad_public_url_and_saves_nothing(api, paths, capsys):
    assert await run("register", "--public-url", "desk.example.com") == 2
    assert "public_url" in capsys.readouterr().err
    assert not paths.settings_file.exists()


async def test_register_saves_the_public_url_and_registers_its_four_urls(api, paths):
    assert await run("register", "--public-url", PUBLIC + "/") == 0
    assert Settings.load(paths.settings_file).public_url == PUBLIC
    urls = webhook_urls(PUBLIC, SecretStore(paths).webhook_secret())
    posted = {json.loads(r.body)["Type"]: json.loads(r.body)["Url"] for r in api.made("POST", "/webhooks")}
    assert posted == urls


async def test_register_prints_one_line_per_type(api, capsys):
    await run("register", "--public-url", PUBLIC)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(EVENT_TYPES)
    assert all(line.split()[1:3] == ["ok:", "registered"] for line in lines)


async def test_register_uses_the_saved_public_url(api, paths):
    Settings(public_url=PUBLIC).save(paths.settings_file)
    assert await run("register") == 0
    assert len(api.made("POST", "/webhooks")) == 4


async def test_register_fails_with_1_when_the_key_is_refused(api, capsys):
    api.answers[("POST", "/webhooks")] = (401, "")
    assert await run("register", "--public-url", PUBLIC) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert all("FAILED: HTTP 401: the API key was refused" in line for line in lines)


async def test_register_fails_with_1_unless_every_type_succeeds(api, paths, capsys):
    Settings(public_url=PUBLIC).save(paths.settings_file)
    urls = webhook_urls(PUBLIC, SecretStore(paths).webhook_secret())
    api.listing = [{"Id": i, "Url": urls[t], "Type": t} for i, t in enumerate(EVENT_TYPES[:3])]
    api.answers[("POST", "/webhooks")] = (500, "")
    assert await run("register") == 1
    out = capsys.readouterr().out
    assert out.count("ok: already registered") == 3
    assert out.count("FAILED: HTTP 500") == 1


async def test_register_never_prints_or_saves_the_key(api, paths, capsys):
    api.answers[("POST", "/webhooks")] = (400, f"bad key {API_KEY}")
    await run("-v", "register", "--public-url", PUBLIC)
    captured = capsys.readouterr()
    assert API_KEY not in captured.out + captured.err
    assert API_KEY not in paths.settings_file.read_text()


async def test_a_malformed_key_in_the_environment_is_a_usage_error_without_the_key(api, monkeypatch, capsys):
    monkeypatch.setenv("INTULSE_API_KEY", "half of a key")
    assert await run("register", "--public-url", PUBLIC) == 2
    assert "half of a key" not in capsys.readouterr().err


# --- set-api-key ---------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_set_api_key_reads_the_key_from_stdin(monkeypatch, paths, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(API_KEY + "\n"))
    assert cli.main(["set-api-key"]) == 0
    assert SecretStore(paths).api_key() == API_KEY


def test_set_api_key_asks_without_echo_on_a_terminal(monkeypatch, paths):
    monkeypatch.setattr("sys.stdin", Terminal())
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or API_KEY)
    assert cli.main(["set-api-key"]) == 0
    assert prompts
    assert SecretStore(paths).api_key() == API_KEY


def test_set_api_key_never_prints_the_key_or_puts_it_in_settings(monkeypatch, paths, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(API_KEY))
    cli.main(["-v", "set-api-key"])
    cli.main(["config", "set", "extension", "204"])
    captured = capsys.readouterr()
    assert API_KEY not in captured.out + captured.err
    assert API_KEY not in paths.settings_file.read_text()


def test_set_api_key_with_nothing_given_is_a_usage_error(monkeypatch, paths):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["set-api-key"]) == 2
    assert SecretStore(paths).api_key() is None


def test_set_api_key_clear_removes_the_key(monkeypatch, paths):
    SecretStore(paths).set_api_key(API_KEY)
    assert cli.main(["set-api-key", "--clear"]) == 0
    assert SecretStore(paths).api_key() is None


def test_set_api_key_warns_that_the_environment_wins(monkeypatch, capsys):
    monkeypatch.setenv("INTULSE_API_KEY", "another-key-from-env")
    monkeypatch.setattr("sys.stdin", io.StringIO(API_KEY))
    cli.main(["set-api-key"])
    assert "INTULSE_API_KEY is set" in capsys.readouterr().err
