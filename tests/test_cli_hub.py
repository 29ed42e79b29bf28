"""`intulse-desktop hub …`: users from the command line (a contract), and `hub connect` on a desktop."""

from __future__ import annotations

import asyncio
import io
import json
import threading

import pytest

from intulse_desktop.cli import main
from intulse_desktop.hub import broker as broker_module
from intulse_desktop.hub.users import Users
from intulse_desktop.paths import Paths
from intulse_desktop.secrets import BROKER_PASSWORD, HUB_TOKEN, SecretStore
from intulse_desktop.settings import Settings

from .helpers.hub import HubRunner
from .helpers.net import closed_port

pytestmark = pytest.mark.usefixtures("restore_logging")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def users(home) -> Users:
    return Users(Paths.resolve(home).hub_users)


def test_add_user_prints_the_token_once_and_keeps_only_its_hash(capsys, home):
    code, out, _ = run(
        capsys, "hub", "add-user", "--extension", "204", "--numbers", "(317) 555-0100", "--name", "Dana"
    )
    assert code == 0
    token = next(line.strip() for line in out.splitlines() if line.strip().startswith("ihub_"))
    assert "intulse-desktop hub connect http://127.0.0.1:8765" in out
    known = users(home)
    assert known.authenticate(token).numbers == ("+13175550100",)
    known.close()
    code, listed, _ = run(capsys, "hub", "list-users")
    assert code == 0
    assert token not in listed
    assert "ext 204; +13175550100; presence: own only; Dana" in listed


def test_add_user_as_json_for_scripts(capsys, home):
    code, out, _ = run(
        capsys, "hub", "add-user", "--extension", "205", "--user-id", "12", "--presence", "all", "--json"
    )
    data = json.loads(out)
    assert code == 0
    assert data["user"] | {"id": None} == {
        "id": None,
        "extension": "205",
        "user_id": 12,
        "numbers": [],
        "name": "",
        "presence": "all",
        "presence_lines": True,
    }
    assert data["token"].startswith("ihub_")
    assert json.loads(run(capsys, "hub", "list-users", "--json")[1])[0]["extension"] == "205"


def test_add_user_with_presence_as_state_only(capsys, home):
    argv = ["hub", "add-user", "--extension", "204", "--presence", "all", "--presence-state-only"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert "presence: all (state only)" in out
    known = users(home)
    assert known.all()[0].presence_lines is False
    known.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--extension", "204", "--numbers", "not-a-number"], "not a phone number"),
        (["--extension", "2 04"], "extension"),
        (["--extension", "204", "--presence", "20 5"], "extension"),
    ],
)
def test_a_bad_user_is_refused_with_exit_2_and_nothing_added(capsys, home, argv, message):
    code, _, err = run(capsys, "hub", "add-user", *argv)
    assert code == 2
    assert message in err
    assert run(capsys, "hub", "list-users", "--json")[1].strip() == "[]"


def test_remove_user_by_extension_stops_its_token(capsys, home):
    run(capsys, "hub", "add-user", "--extension", "204", "--json")
    known = users(home)
    [user] = known.all()
    code, out, _ = run(capsys, "hub", "remove-user", "--extension", "204")
    assert code == 0
    assert f"removed user {user.id}" in out
    assert known.all() == []
    known.close()


def test_remove_user_that_does_not_exist_fails_with_exit_1(capsys, home):
    code, _, err = run(capsys, "hub", "remove-user", "--id", "42")
    assert code == 1
    assert "no user 42" in err


def test_listening_options_do_not_go_with_a_user_command(capsys, home):
    with pytest.raises(SystemExit) as exited:
        main(["hub", "--port", "9000", "list-users"])
    assert exited.value.code == 2


@pytest.fixture
def running_hub(tmp_path):
    """A hub on its own loop in a thread, so the command under test can run its own."""
    loop = asyncio.new_event_loop()
    hub = HubRunner(tmp_path / "hub")
    loop.run_until_complete(hub.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield hub
    asyncio.run_coroutine_threadsafe(hub.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()
    hub.users.close()


def test_hub_connect_checks_the_token_then_saves_the_hub_and_who_i_am(capsys, home, running_hub, monkeypatch):
    _, token = running_hub.add("204", ["+13175550100"], user_id=77)
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    code, out, err = run(capsys, "hub", "connect", running_hub.url())
    assert code == 0
    assert "as ext 204" in out
    assert "warning" not in err  # http, but to this computer: nothing crosses a network
    paths = Paths.resolve()
    settings = Settings.load(paths.settings_file)
    assert (
        settings.receive_from,
        settings.hub_url,
        settings.extension,
        settings.my_numbers,
        settings.user_id,
    ) == (
        "hub",
        running_hub.url(),
        "204",
        ["+13175550100"],
        77,
    )
    assert SecretStore(paths).get(HUB_TOKEN) == token
    assert token not in paths.settings_file.read_text()


def test_hub_connect_to_several_hubs_asks_the_first_that_answers_and_keeps_them_all(
    capsys, home, running_hub, monkeypatch
):
    _, token = running_hub.add("204")
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    hubs = f"http://127.0.0.1:{closed_port()},{running_hub.url()}"  # the first one is down
    code, out, _ = run(capsys, "hub", "connect", hubs)
    assert code == 0
    assert "as ext 204" in out
    assert Settings.load(Paths.resolve().settings_file).hub_url == hubs


def test_hub_connect_with_a_refused_token_changes_nothing(capsys, home, running_hub, monkeypatch):
    _, token = running_hub.add("204")
    monkeypatch.setattr("sys.stdin", io.StringIO(token[:-4] + "AAAA\n"))
    code, _, err = run(capsys, "hub", "connect", running_hub.url())
    assert code == 1
    assert "does not accept" in err
    assert "nothing was changed" in err
    paths = Paths.resolve()
    assert not paths.settings_file.exists()
    assert SecretStore(paths).get(HUB_TOKEN) is None


def test_hub_connect_refuses_text_that_is_no_token(capsys, home, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2\n"))
    code, _, err = run(capsys, "hub", "connect", "https://hub.example.com")
    assert code == 2
    assert "not a hub token" in err


def test_headless_in_hub_mode_without_a_token_says_how_to_connect(capsys, home):
    Settings(receive_from="hub", hub_url="https://hub.example.com").save(
        Paths.resolve().ensure().settings_file
    )
    code, _, err = run(capsys, "--headless")
    assert code == 2
    assert "hub connect" in err


@pytest.mark.parametrize("url", ["http://hub.example.invalid", "ws://192.0.2.7:8765"])
def test_hub_connect_over_http_to_another_machine_warns_that_the_token_travels_in_clear(
    capsys, home, monkeypatch, url
):
    monkeypatch.setattr("sys.stdin", io.StringIO("ihub_AAAAAAAAAAAA." + "A" * 43 + "\n"))
    monkeypatch.setattr("intulse_desktop.hub.client.CONNECT_TIMEOUT", 0.5)
    code, _, err = run(capsys, "hub", "connect", url)
    assert code == 1  # nothing answers there
    assert "is not encrypted: the token and every call and text travel in clear" in err


# --- with --broker: the users live in the NATS cluster's KV bucket ---------------------------


def test_users_are_added_listed_and_removed_in_the_broker_with_broker(capsys, home, nats_url):
    code, out, _ = run(capsys, "hub", "--broker", nats_url, "add-user", "--extension", "204", "--json")
    assert code == 0
    added = json.loads(out)
    code, out, _ = run(capsys, "hub", "add-user", "--broker", nats_url, "--extension", "205")
    assert code == 0
    code, listed, _ = run(capsys, "hub", "list-users", "--broker", nats_url, "--json")
    assert [u["extension"] for u in json.loads(listed)] == ["204", "205"]
    assert added["token"] not in listed
    assert not users(home).all()  # nothing in this hub's own file
    code, out, _ = run(capsys, "hub", "remove-user", "--broker", nats_url, "--extension", "204")
    assert code == 0
    assert "removed user" in out
    code, listed, _ = run(capsys, "hub", "list-users", "--broker", nats_url, "--json")
    assert [u["extension"] for u in json.loads(listed)] == ["205"]
    code, _, err = run(capsys, "hub", "remove-user", "--broker", nats_url, "--id", str(added["user"]["id"]))
    assert code == 1
    assert "no user" in err


def test_the_broker_url_setting_is_used_without_broker(capsys, home, nats_url):
    Settings(broker_url=nats_url).save(Paths.resolve().ensure().settings_file)
    assert run(capsys, "hub", "add-user", "--extension", "204")[0] == 0
    assert not users(home).all()
    code, listed, _ = run(capsys, "hub", "list-users")
    assert "ext 204" in listed


@pytest.mark.parametrize(
    ("broker", "message"),
    [("http://nats.example:4222", "not a nats:// or tls:// URL"), ("nats://u:pw@n1:4222", "password out of")],
)
def test_a_bad_broker_is_refused_with_exit_2(capsys, home, broker, message):
    code, _, err = run(capsys, "hub", "list-users", "--broker", broker)
    assert code == 2
    assert message in err


def test_a_hub_whose_broker_does_not_answer_exits_1_saying_so(capsys, home, monkeypatch):
    monkeypatch.setattr(broker_module, "START_DEADLINE", 0.5)
    code, _, err = run(capsys, "hub", "--broker", f"nats://127.0.0.1:{closed_port()}", "--port", "0")
    assert code == 1
    assert "cannot connect to NATS at nats://127.0.0.1:" in err


def test_the_broker_password_goes_to_the_secret_store(capsys, home, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    code, out, _ = run(capsys, "hub", "set-broker-password")
    assert code == 0
    assert "broker_user setting, which is not set yet" in out
    assert SecretStore(Paths.resolve()).get(BROKER_PASSWORD) == "s3cret"
    assert run(capsys, "hub", "set-broker-password", "--clear")[0] == 0
    assert SecretStore(Paths.resolve()).get(BROKER_PASSWORD) is None
