from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from intulse_desktop import __version__
from intulse_desktop.cli import main
from intulse_desktop.events import parse
from intulse_desktop.paths import Paths
from intulse_desktop.secrets import SecretStore
from intulse_desktop.store import CALL_FIELDS, Store

from .helpers.builders import payload

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(home):
    store = Store(Paths.resolve().database)
    events = [
        ("CallStarted", payload("CallStarted")),
        ("CallCompleted", payload("CallCompleted")),
        ("CallCompleted", payload("CallCompleted-missed")),
        ("ExtensionUpdated", payload("ExtensionUpdated")),
        ("TextMessageReceived", payload("TextMessageReceived")),
    ]
    parsed = [parse(body, event_type) for event_type, body in events]
    store.run_batch([lambda s, e=event: s.record(e, False, NOW) for event in parsed])
    store.close()


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_webhook_url_json_gives_one_url_per_type_with_the_secret(capsys):
    code, out, _ = run(capsys, "webhook-url", "--json")
    urls = json.loads(out)
    secret = SecretStore(Paths.resolve()).webhook_secret()
    assert code == 0
    assert set(urls) == {"CallStarted", "CallCompleted", "ExtensionUpdated", "TextMessageReceived"}
    assert all(url == f"http://127.0.0.1:8765/hooks/{secret}/{t}" for t, url in urls.items())


def test_webhook_url_uses_the_public_url(capsys):
    run(capsys, "config", "set", "public_url", "https://desk.example.com/")
    code, out, err = run(capsys, "webhook-url", "--json")
    assert json.loads(out)["CallStarted"].startswith("https://desk.example.com/hooks/")
    assert "public_url" not in err


def test_webhook_url_without_public_url_explains_reachability(capsys):
    _, out, err = run(capsys, "webhook-url")
    assert out.count("http://127.0.0.1:8765/hooks/") == 4
    assert "tunnel" in err


def test_config_set_get_list(capsys):
    assert run(capsys, "config", "set", "extension", "204")[0] == 0
    assert run(capsys, "config", "set", "my_numbers", "(317) 555-0100,+44 20 7946 0958")[0] == 0
    assert run(capsys, "config", "get", "my_numbers")[1] == "+13175550100,+442079460958\n"
    _, out, _ = run(capsys, "config", "list")
    assert "extension = 204\n" in out
    assert "default_region = US\n" in out


def test_data_dir_option_works_before_and_after_the_command(capsys, tmp_path):
    other = str(tmp_path / "other")
    run(capsys, "--data-dir", other, "config", "set", "extension", "301")
    assert run(capsys, "config", "get", "extension", "--data-dir", other)[1] == "301\n"
    assert run(capsys, "config", "get", "extension")[1] == "\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["config", "set", "listen_port", "99999"],
        ["config", "get", "nope"],
        ["config", "set", "my_numbers", "12"],
        ["calls", "--limit", "0"],
        ["calls", "--json", "--csv"],
        ["send-test", "CallRinging"],
        ["frobnicate"],
        ["--port", "70000"],
        ["--headless", "calls"],
        ["--port", "9000", "calls"],
        ["calls", "--limit", str(2**63)],
        ["calls", "--search", "a\udcffb"],  # a byte that is not UTF-8, as Python passes it on
        ["config", "set", "public_url", "https://\udcff.example.com"],
        ["hub", "add-user", "--extension", "204", "--user-id", str(2**63)],
        ["hub", "add-user", "--extension", "204", "--name", "a\udcffb"],
        ["hub", "remove-user", "--id", str(-(2**63) - 1)],
    ],
)
def test_bad_usage_is_one_line_and_exit_code_2(capsys, argv):
    try:
        code = main(argv)
    except SystemExit as exit:
        code = exit.code
    err = capsys.readouterr().err
    assert code == 2
    assert "error:" in err.strip().splitlines()[-1]
    assert "Traceback" not in err


def test_a_broken_settings_file_is_exit_code_2_naming_the_key(capsys, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps({"listen_port": -1}))
    code, _, err = run(capsys, "config", "list")
    assert code == 2
    assert "listen_port" in err
    assert len(err.strip().splitlines()) == 1


def test_calls_json_has_the_documented_fields(capsys, filled):
    code, out, _ = run(capsys, "calls", "--json")
    calls = json.loads(out)
    assert code == 0
    assert [c["id"] for c in calls] == ["1764130502.5601", "1764130211.5512"]
    assert all(list(c) == list(CALL_FIELDS) for c in calls)
    answered = calls[1]
    assert answered["start_utc"] == "2026-11-26T04:10:11Z"
    assert answered["answer_utc"] == "2026-11-26T04:10:19Z"
    assert (answered["outcome"], answered["duration_seconds"]) == ("answered", 184)
    assert calls[0]["start_utc"] == "2026-11-26T04:15:02.413Z"


def test_calls_csv_search_missed_limit(capsys, filled):
    _, out, _ = run(capsys, "calls", "--csv", "--search", "317 555 01", "--limit", "1")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["1764130502.5601"]
    assert list(rows[0]) == list(CALL_FIELDS)
    _, out, _ = run(capsys, "calls", "--json", "--missed")
    assert [c["outcome"] for c in json.loads(out)] == ["missed"]
    _, out, _ = run(capsys, "calls", "--json", "--search", "acme")
    assert [c["remote_party_name"] for c in json.loads(out)] == ["ACME PLUMBING"]


def test_calls_table_is_for_people(capsys, filled):
    _, out, _ = run(capsys, "calls")
    assert "(317) 555-0142" in out
    assert "3:04" in out
    assert "ACME PLUMBING" in out


def test_empty_log_gives_an_empty_json_array(capsys):
    assert json.loads(run(capsys, "calls", "--json")[1]) == []


def test_messages_json_with_attachments(capsys, filled):
    _, out, _ = run(capsys, "messages", "--json")
    [message] = json.loads(out)
    assert list(message) == ["id", "from", "to", "body", "created_utc", "attachments", "contact_name"]
    assert message["id"] == 90211
    assert message["created_utc"] == "2026-11-26T04:12:40Z"
    assert message["attachments"] == [
        {
            "id": 5521,
            "is_image": True,
            "is_audio": False,
            "mime_type": "image/jpeg",
            "name": "part.jpg",
            "size_in_bytes": 48213,
            "url": "https://media.example.com/mms/5521/part.jpg",
        }
    ]


def test_messages_table_hides_bodies_unless_verbose(capsys, filled):
    assert "Running 10 minutes late" not in run(capsys, "messages")[1]
    assert "Running 10 minutes late" in run(capsys, "messages", "-v")[1]


def test_presence_json(capsys, filled):
    _, out, _ = run(capsys, "presence", "--json")
    [row] = json.loads(out)
    assert row == {
        "extension": "204",
        "status": "INUSE",
        "state": "in_use",
        "connected_line_name": "ACME PLUMBING",
        "connected_line_number": "+13175550142",
        "updated_utc": "2026-11-26T05:00:00Z",
    }


def test_csv_cells_that_look_like_formulas_are_defused(capsys, home):
    store = Store(Paths.resolve().database)
    evil = payload("CallCompleted") | {"RemotePartyName": '=HYPERLINK("http://x","y")'}
    store.run_batch([lambda s: s.record(parse(evil, "CallCompleted"), False, NOW)])
    store.close()
    _, out, _ = run(capsys, "calls", "--csv")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["remote_party_name"].startswith("'=")
    assert row["remote_party_number"] == "+13175550142"


def test_untrusted_text_cannot_drive_the_terminal(capsys, home):
    store = Store(Paths.resolve().database)
    evil = payload("CallCompleted") | {"RemotePartyName": "\x1b[2J\x1b]0;pwned\x07Bob\nline"}
    store.run_batch([lambda s: s.record(parse(evil, "CallCompleted"), False, NOW)])
    store.close()
    out = run(capsys, "calls")[1]
    assert "\x1b" not in out
    assert out.count("\n") == 1
