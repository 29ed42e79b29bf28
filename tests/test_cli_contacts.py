"""``intulse-desktop contacts …`` and the contact names in ``calls`` and ``messages`` exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intulse_desktop.cli import main
from intulse_desktop.events import parse
from intulse_desktop.paths import Paths
from intulse_desktop.store import CALL_FIELDS, Store

from .helpers.builders import payload

SAMPLES = Path(__file__).parent / "contacts"
NOW = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("restore_logging")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def listed(capsys):
    code, out, _ = run(capsys, "contacts", "list", "--json")
    assert code == 0
    return json.loads(out)


@pytest.fixture
def calls(home):
    store = Store(Paths.resolve().database)
    events = [parse(payload(name), name.split("-")[0]) for name in ("CallCompleted", "TextMessageReceived")]
    store.run_batch([lambda s, e=e: s.record(e, False, NOW) for e in events])
    store.close()


def test_import_prints_what_changed_and_importing_again_updates_nothing(capsys):
    code, out, err = run(capsys, "contacts", "import", str(SAMPLES / "google.vcf"))
    assert (code, out, err) == (0, "2 added, 0 updated, 0 unchanged; 1 without a phone number left out\n", "")
    _, out, _ = run(capsys, "contacts", "import", str(SAMPLES / "google.vcf"))
    assert out.startswith("0 added, 0 updated, 2 unchanged")
    assert [c["name"] for c in listed(capsys)] == ["Dana Whitfield", "Luis Ortega"]


def test_a_bad_file_exits_2_naming_the_line_and_imports_nothing(capsys):
    code, out, err = run(capsys, "contacts", "import", str(SAMPLES / "damaged.vcf"))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "damaged.vcf, line 9:" in err
    assert "nothing was imported" in err
    assert listed(capsys) == []


def test_a_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "contacts", "import", str(tmp_path / "nope.vcf"))
    assert code == 2
    assert "cannot read it" in err


def test_add_list_vip_and_remove(capsys):
    code, out, _ = run(
        capsys,
        "contacts",
        "add",
        "Dana Whitfield",
        "(317) 555-0142",
        "317-555-0143",
        "--organisation",
        "Circle City Dental",
    )
    assert code == 0
    contact_id = int(out)
    [dana] = listed(capsys)
    assert dana == {
        "id": contact_id,
        "name": "Dana Whitfield",
        "organisation": "Circle City Dental",
        "vip": False,
        "source": "local",
        "numbers": [{"number": "+13175550142", "label": ""}, {"number": "+13175550143", "label": ""}],
    }
    assert run(capsys, "contacts", "vip", str(contact_id))[0] == 0
    assert listed(capsys)[0]["vip"] is True
    _, out, _ = run(capsys, "contacts", "list")
    assert "Dana Whitfield · Circle City Dental VIP  [local]  (317) 555-0142, (317) 555-0143" in out
    assert run(capsys, "contacts", "remove", str(contact_id)) == (0, "removed Dana Whitfield\n", "")
    assert listed(capsys) == []


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["contacts", "add", "Dana", "reception"], "'reception' is not a phone number"),
        (["contacts", "add", " ", "3175550142"], "a contact needs a name"),
        (["contacts", "remove", "42"], "there is no contact 42"),
        (["contacts", "vip", "42"], "there is no contact 42"),
        (["contacts", "sync"], "no CardDAV address book is set"),
    ],
)
def test_bad_usage_exits_2_with_one_line(capsys, argv, said):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert said in err
    assert err.count("\n") == 1


def test_calls_json_gives_the_contact_name_after_the_existing_fields(capsys, calls):
    run(capsys, "contacts", "add", "Dana Whitfield", "317 555 0142")
    _, out, _ = run(capsys, "calls", "--json")
    [record] = json.loads(out)
    assert list(record) == [*CALL_FIELDS]
    assert list(record)[-1] == "contact_name"
    assert record["contact_name"] == "Dana Whitfield"
    assert record["remote_party_name"] == "ACME PLUMBING"


def test_calls_csv_has_contact_name_as_its_last_column(capsys, calls):
    run(capsys, "contacts", "add", "Dana Whitfield", "317 555 0142")
    _, out, _ = run(capsys, "calls", "--csv")
    header, row = list(csv.reader(io.StringIO(out)))
    assert header[:14] == [
        "id", "linked_id", "client_id", "user_id", "user_display_name", "extension", "direction",
        "remote_party_name", "remote_party_number", "start_utc", "answer_utc", "duration_seconds",
        "recording", "outcome",
    ]  # fmt: skip
    assert header[14:] == ["contact_name"]
    assert row[14] == "Dana Whitfield"


def test_calls_search_finds_a_contacts_calls_by_name(capsys, calls):
    run(capsys, "contacts", "add", "Dana Whitfield", "317 555 0142")
    _, out, _ = run(capsys, "calls", "--json", "--search", "whitfield")
    assert [c["id"] for c in json.loads(out)] == ["1764130211.5512"]


def test_messages_json_gives_the_senders_contact_name(capsys, calls):
    run(capsys, "contacts", "add", "Dana Whitfield", "317 555 0142")
    _, out, _ = run(capsys, "messages", "--json")
    assert json.loads(out)[0]["contact_name"] == "Dana Whitfield"


def test_set_password_keeps_it_in_the_secret_storage(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("app-password-1234\n"))
    code, out, _ = run(capsys, "contacts", "set-password")
    assert code == 0
    from intulse_desktop.secrets import CARDDAV_PASSWORD, SecretStore

    assert SecretStore(Paths.resolve()).get(CARDDAV_PASSWORD) == "app-password-1234"
    assert "app-password-1234" not in out


def test_set_password_refuses_nothing_and_clear_removes_it(capsys, monkeypatch):
    from intulse_desktop.secrets import CARDDAV_PASSWORD, SecretStore

    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert run(capsys, "contacts", "set-password")[0] == 2
    monkeypatch.setattr("sys.stdin", io.StringIO(" spaced out \n"))
    assert run(capsys, "contacts", "set-password")[0] == 0
    assert SecretStore(Paths.resolve()).get(CARDDAV_PASSWORD) == " spaced out "  # only the line end goes
    assert run(capsys, "contacts", "set-password", "--clear")[0] == 0
    assert SecretStore(Paths.resolve()).get(CARDDAV_PASSWORD) is None
