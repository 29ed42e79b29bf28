"""The Settings dialog: inline validation, apply and rebind, the secret and the API key,
registering with Intulse, test delivery, recent deliveries, and each tab's settings."""

from __future__ import annotations

import json
import logging
import socket
import sys
from datetime import time

import aiohttp
import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from intulse_desktop import autostart
from intulse_desktop.receiver import webhook_urls
from intulse_desktop.secrets import HUB_TOKEN, SecretStore
from intulse_desktop.settings import Settings
from intulse_desktop.ui.desktop import Change

from .helpers.builders import API_KEY, SECRET, payload
from .helpers.fakes import MemoryKeyring
from .helpers.finders import buttons
from .helpers.net import closed_port

# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def dialog(desktop):
    desktop.show_settings()
    return desktop.windows["settings"]


@pytest.fixture
def port(desktop, me, qloop):
    """The receiver listening on a free port, as saved in the settings (before the dialog opens)."""
    port = closed_port()
    desktop.save_settings(me.with_values({"listen_port": port}))
    qloop.run_until_complete(desktop.service.listen("127.0.0.1", port))
    return port


def wait(owner, qloop):
    """Let the tasks of ``owner`` (the desktop or the dialog) finish."""
    qloop.run_until_complete(owner.tasks.wait())


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def apply(dialog, qtbot, qloop):
    assert dialog.apply.isEnabled(), dialog.problems
    click(qtbot, dialog.apply)
    wait(dialog, qloop)


def request(qloop, method, url, body=None):
    """``(status, json)`` from the app's own loop; status None if nothing answered."""

    async def go():
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
                session.request(method, url, json=body) as response,
            ):
                return response.status, await response.json(content_type=None)
        except aiohttp.ClientConnectionError:
            return None, None

    return qloop.run_until_complete(go())


def healthy(qloop, port):
    return request(qloop, "GET", f"http://127.0.0.1:{port}/healthz")[0] == 200


def reason(page, key):
    label = page.reasons[key]
    return "" if label.isHidden() else label.text()


def saved(desktop):
    return Settings.load(desktop.paths.settings_file)


def confirm(dialog, text):
    box = dialog.connection.confirm
    assert box is not None
    assert box.isVisible()
    button = next(b for b in box.buttons() if b.text() == text)
    button.click()


# --- opening ---------------------------------------------------------------------------------


def test_settings_opens_non_modal_from_the_tray_with_the_saved_values(desktop):
    desktop.tray.actions["settings"].trigger()
    dialog = desktop.windows["settings"]
    assert dialog.isVisible()
    assert not dialog.isModal()
    assert dialog.me.extension.text() == "204"
    assert dialog.me.numbers.list.item(0).text() == "(317) 555-0100"
    assert dialog.ok.isEnabled()
    assert not dialog.apply.isEnabled()


def test_an_edit_enables_apply(dialog):
    dialog.me.extension.setText("301")
    assert dialog.apply.isEnabled()


def test_cancel_forgets_the_edits(desktop, dialog, qtbot):
    dialog.me.extension.setText("301")
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Cancel))
    assert not dialog.isVisible()
    assert desktop.settings.extension == "204"
    desktop.show_settings()
    assert dialog.me.extension.text() == "204"


# --- inline validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "edit", "key", "why"),
    [
        ("me", lambda d: d.me.extension.setText("20 4"), "extension", "an extension is up to 32 letters"),
        ("me", lambda d: d.me.numbers.entry.setText("12"), "my_numbers", "'12' is not a phone number"),
        ("me", lambda d: d.me.user_id.setText("seven"), "user_id", "enter a whole number"),
        (
            "me",
            lambda d: d.me.country.setEditText("Narnia"),
            "default_region",
            "choose a country from the list",
        ),
        ("connection", lambda d: d.connection.port.setText("70000"), "listen_port", "must be at most 65535"),
        ("connection", lambda d: d.connection.port.setText("http"), "listen_port", "enter a whole number"),
        (
            "connection",
            lambda d: d.connection.host.setText("not a host!"),
            "listen_host",
            "is not an IP address",
        ),
        (
            "connection",
            lambda d: d.connection.public_url.setText("ftp://x.example.com"),
            "public_url",
            "is not an http:// or https:// URL",
        ),
        (
            "connection",
            lambda d: d.connection.public_url.setText("https://x.example.com/?a=1"),
            "public_url",
            "cannot have a query",
        ),
        (
            "integrations",
            lambda d: d.integrations.crm.setText("https://crm.example.com/?q={phone}"),
            "crm_url_template",
            "unknown placeholder {phone}",
        ),
        (
            "integrations",
            lambda d: d.integrations.crm.setText("javascript:alert({number})"),
            "crm_url_template",
            "the URL must start with http://",
        ),
    ],
)
def test_a_bad_value_disables_ok_and_says_why_beside_it(dialog, page, edit, key, why):
    edit(dialog)
    assert why in reason(getattr(dialog, page), key)
    assert not dialog.ok.isEnabled()
    assert not dialog.apply.isEnabled()
    assert not dialog.tabs.tabIcon(dialog.pages.index(getattr(dialog, page))).isNull()  # the tab is marked


def test_fixing_the_value_enables_ok_again(dialog):
    dialog.connection.port.setText("70000")
    dialog.connection.port.setText("9000")
    assert reason(dialog.connection, "listen_port") == ""
    assert dialog.ok.isEnabled()
    assert dialog.tabs.tabIcon(1).isNull()


def test_a_bad_custom_call_back_template_disables_ok(dialog):
    page = dialog.integrations
    page.method.setCurrentIndex(page.method.findData("custom"))
    page.template.setText("file:///{number}")
    assert "the URL must start with http://" in reason(page, "call_back_url_template")
    assert not dialog.ok.isEnabled()


def test_a_number_typed_but_not_added_holds_ok_back(dialog):
    dialog.me.numbers.entry.setText("(317) 555-0177")
    assert reason(dialog.me, "my_numbers") == "not added yet: press Add (or clear the field)"
    assert not dialog.ok.isEnabled()


def test_a_malformed_api_key_is_refused_without_repeating_it(dialog):
    dialog.connection.api_key.setText("ik_live secret with spaces")
    why = reason(dialog.connection, "api_key")
    assert "spaces" in why
    assert "secret with" not in why
    assert not dialog.ok.isEnabled()


# --- applying ----------------------------------------------------------------------------------


def test_apply_saves_the_settings_and_they_take_effect(desktop, dialog, qtbot, qloop):
    dialog.me.extension.setText("301")
    dialog.me.numbers.entry.setText("+44 20 7946 0958")
    click(qtbot, dialog.me.numbers.add)
    assert dialog.me.numbers.list.item(1).text() == "+44 20 7946 0958"
    apply(dialog, qtbot, qloop)
    assert saved(desktop).extension == "301"
    assert saved(desktop).my_numbers == ["+13175550100", "+442079460958"]
    assert desktop.service.receiver.matcher.extension == "301"
    assert dialog.status.text() == "Saved."
    assert not dialog.apply.isEnabled()


def test_ok_applies_and_closes(desktop, dialog, qtbot, qloop):
    dialog.me.extension.setText("301")
    click(qtbot, dialog.ok)
    wait(desktop, qloop)
    assert saved(desktop).extension == "301"
    assert not dialog.isVisible()


def test_enter_in_the_number_field_adds_the_number_and_does_not_press_ok(desktop, dialog, qtbot):
    dialog.me.numbers.entry.setText("317 555 0177")
    qtbot.keyClick(dialog.me.numbers.entry, Qt.Key.Key_Return)
    assert dialog.me.numbers.numbers() == ["+13175550100", "+13175550177"]
    assert dialog.isVisible()
    assert dialog.task is None


def test_removing_a_number_is_applied(desktop, dialog, qtbot, qloop):
    dialog.me.numbers.list.setCurrentRow(0)
    click(qtbot, dialog.me.numbers.remove)
    apply(dialog, qtbot, qloop)
    assert saved(desktop).my_numbers == []


def test_the_default_country_is_searchable_and_reformats_my_numbers(desktop, dialog, qtbot, qloop):
    combo = dialog.me.country
    combo.completer().setCompletionPrefix("germ")
    assert combo.completer().currentCompletion() == "Germany (DE, +49)"
    combo.setEditText("Germany (DE, +49)")
    assert dialog.me.numbers.list.item(0).text() == "+1 317-555-0100"
    apply(dialog, qtbot, qloop)
    assert saved(desktop).default_region == "DE"


def test_do_not_disturb_set_from_the_tray_meanwhile_is_kept(desktop, dialog, qtbot, qloop):
    desktop.tray.actions["dnd"].trigger()
    dialog.me.extension.setText("301")
    apply(dialog, qtbot, qloop)
    assert saved(desktop).do_not_disturb
    assert saved(desktop).extension == "301"


def test_a_closed_dialog_does_not_check_its_fields_on_every_change(desktop, dialog, monkeypatch):
    checks = []
    monkeypatch.setattr(dialog, "validate", lambda: checks.append(1))
    desktop.changed.emit(Change.SETTINGS)
    assert checks == [1]
    dialog.close()
    desktop.changed.emit(Change.SETTINGS)
    assert checks == [1]


def test_a_new_port_rebinds_the_receiver_without_a_restart(desktop, port, dialog, qtbot, qloop):
    new = closed_port()
    dialog.connection.port.setText(str(new))
    apply(dialog, qtbot, qloop)
    assert healthy(qloop, new)
    assert not healthy(qloop, port)
    assert saved(desktop).listen_port == new
    assert dialog.connection.urls["CallStarted"].text().startswith(f"http://127.0.0.1:{new}/hooks/")


def test_a_taken_port_is_explained_and_the_old_one_keeps_working(desktop, port, dialog, qtbot, qloop):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        dialog.connection.port.setText(str(busy))
        apply(dialog, qtbot, qloop)
        why = reason(dialog.connection, "listen_port")
        assert f"port {busy} is in use by another program" in why
        assert f"the receiver keeps listening on 127.0.0.1:{port}" in why
        assert dialog.status.text().startswith("Not applied.")
        assert healthy(qloop, port)
        assert saved(desktop).listen_port == port
        assert desktop.settings.listen_port == port
        assert dialog.tabs.currentWidget().widget() is dialog.connection


def test_the_port_message_goes_when_the_port_is_edited(port, dialog, qtbot, qloop):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        dialog.connection.port.setText(str(taken.getsockname()[1]))
        apply(dialog, qtbot, qloop)
    dialog.connection.port.setText(str(closed_port()))
    assert reason(dialog.connection, "listen_port") == ""


# --- the webhook URLs and their secret -----------------------------------------------------------


def test_the_four_webhook_urls_are_shown_with_copy_buttons(desktop, dialog, qtbot):
    expected = webhook_urls("http://127.0.0.1:8765", SECRET)
    assert {t: field.text() for t, field in dialog.connection.urls.items()} == expected
    copy = buttons(dialog.connection, "Copy")
    click(qtbot, copy[3])
    assert QGuiApplication.clipboard().text() == expected["TextMessageReceived"]


def test_the_urls_follow_the_public_url_as_it_is_typed(dialog):
    dialog.connection.public_url.setText("https://desk.example.com/")
    assert (
        dialog.connection.urls["CallCompleted"].text()
        == f"https://desk.example.com/hooks/{SECRET}/CallCompleted"
    )
    assert "after you apply" in dialog.connection.urls_note.text()


def test_regenerating_the_secret_warns_then_changes_the_urls_and_the_running_receiver(
    desktop, port, dialog, qtbot, qloop
):
    old = {t: f.text() for t, f in dialog.connection.urls.items()}
    click(qtbot, dialog.connection.regenerate)
    assert "register the webhooks again" in dialog.connection.confirm.text()
    confirm(dialog, "Regenerate")
    new = {t: f.text() for t, f in dialog.connection.urls.items()}
    assert all(new[t] != old[t] for t in old)
    secret = desktop.service.secret
    assert secret != SECRET
    assert new == webhook_urls(f"http://127.0.0.1:{port}", secret)
    assert desktop.secrets.webhook_secret() == secret
    assert desktop.secrets.redactor(f"path /hooks/{secret}/x") == "path /hooks/<secret>/x"
    call = payload("CallStarted")
    assert request(qloop, "POST", old["CallStarted"], call)[0] == 404
    assert request(qloop, "POST", new["CallStarted"], call)[0] == 200


def test_cancelling_the_warning_keeps_the_secret(desktop, dialog, qtbot):
    click(qtbot, dialog.connection.regenerate)
    confirm(dialog, "Cancel")
    assert desktop.service.secret == SECRET
    assert dialog.connection.urls["CallStarted"].text().endswith(f"/hooks/{SECRET}/CallStarted")


# --- the API key ---------------------------------------------------------------------------------


def test_the_api_key_is_stored_as_a_secret_never_in_settings_or_logs(desktop, dialog, qtbot, qloop, caplog):
    caplog.set_level(logging.DEBUG)
    field = dialog.connection.api_key
    assert field.echoMode() == field.EchoMode.Password
    field.setText(API_KEY)
    apply(dialog, qtbot, qloop)
    assert desktop.secrets.api_key() == API_KEY
    assert API_KEY in desktop.paths.secrets_file.read_text()  # no keyring here: the private file
    assert API_KEY not in desktop.paths.settings_file.read_text()
    assert API_KEY not in caplog.text
    assert desktop.secrets.redactor(f"key={API_KEY}") == "key=<secret>"


def test_with_a_keyring_the_api_key_goes_there(desktop, qtbot, qloop, monkeypatch):
    backend = MemoryKeyring()
    for name in ("get_password", "set_password", "delete_password"):
        monkeypatch.setattr(keyring, name, getattr(backend, name))
    desktop.secrets = SecretStore(desktop.paths, use_keyring=True)
    desktop.show_settings()
    dialog = desktop.windows["settings"]
    dialog.connection.api_key.setText(API_KEY)
    apply(dialog, qtbot, qloop)
    assert API_KEY in backend.items.values()
    assert not desktop.paths.secrets_file.exists()
    assert "the system keyring" in dialog.connection.key_note.text()


def test_a_stored_key_is_shown_masked_and_clearing_it_removes_it(desktop, qtbot, qloop):
    desktop.secrets.set_api_key(API_KEY)
    desktop.show_settings()
    dialog = desktop.windows["settings"]
    field = dialog.connection.api_key
    assert field.text() == API_KEY
    assert field.displayText() != API_KEY
    field.clear()
    apply(dialog, qtbot, qloop)
    assert desktop.secrets.api_key() is None


# --- registering with Intulse ------------------------------------------------------------------


@pytest.fixture
def account(desktop, me, fake_intulse_qt):
    """A public URL, the API key stored, and the API address pointing at the fake Intulse."""
    desktop.secrets.set_api_key(API_KEY)
    desktop.save_settings(
        me.with_values({"public_url": "https://desk.example.com", "api_url": fake_intulse_qt.url})
    )
    desktop.show_settings()
    return desktop.windows["settings"]


def test_register_posts_the_four_urls_and_shows_each_result(account, fake_intulse_qt, qtbot, qloop):
    click(qtbot, account.connection.register)
    wait(account, qloop)
    posted = {
        json.loads(r.body)["Type"]: json.loads(r.body)["Url"]
        for r in fake_intulse_qt.made("POST", "/webhooks")
    }
    assert posted == webhook_urls("https://desk.example.com", SECRET)
    assert account.connection.account_result.text().splitlines() == [
        "All four webhooks are registered.",
        "✓ CallStarted: registered",
        "✓ CallCompleted: registered",
        "✓ ExtensionUpdated: registered",
        "✓ TextMessageReceived: registered",
    ]


def test_a_refused_key_is_shown_per_type_in_words(account, fake_intulse_qt, qtbot, qloop):
    fake_intulse_qt.answers[("POST", "/webhooks")] = (401, "")
    click(qtbot, account.connection.register)
    wait(account, qloop)
    lines = account.connection.account_result.text().splitlines()
    assert lines[0] == "0 of 4 webhooks are registered:"
    assert lines[1] == "✗ CallStarted: HTTP 401: the API key was refused (a typo, or a revoked key?)"
    assert len(lines) == 5


def test_register_applies_the_edited_public_url_first(desktop, account, fake_intulse_qt, qtbot, qloop):
    account.connection.public_url.setText("https://other.example.com")
    click(qtbot, account.connection.register)
    wait(account, qloop)
    assert saved(desktop).public_url == "https://other.example.com"
    urls = {json.loads(r.body)["Url"] for r in fake_intulse_qt.made("POST", "/webhooks")}
    assert urls == set(webhook_urls("https://other.example.com", SECRET).values())


def test_register_without_a_public_url_says_so_and_sends_nothing(account, fake_intulse_qt, qtbot, qloop):
    account.connection.public_url.clear()
    click(qtbot, account.connection.register)
    wait(account, qloop)
    assert account.connection.account_result.text().startswith("Not registered: set the public URL first.")
    assert fake_intulse_qt.made("POST") == []


def test_register_without_a_key_says_where_to_get_one(account, fake_intulse_qt, qtbot, qloop):
    account.connection.api_key.clear()
    click(qtbot, account.connection.register)
    wait(account, qloop)
    assert "Enter the Intulse API key" in account.connection.account_result.text()
    assert fake_intulse_qt.requests == []


def test_listing_shows_whose_registrations_they_are_and_one_can_be_deleted(
    account, fake_intulse_qt, qtbot, qloop
):
    ours = webhook_urls("https://desk.example.com", SECRET)["CallStarted"]
    fake_intulse_qt.listing = [
        {"Id": 7, "Url": ours, "Type": "CallStarted"},
        {"Id": 8, "Url": "https://old.example.com/hooks/oldsecret1234/CallStarted", "Type": "CallStarted"},
    ]
    page = account.connection
    click(qtbot, page.list)
    wait(account, qloop)
    rows = [[page.registrations.topLevelItem(i).text(c) for c in range(4)] for i in range(2)]
    assert rows == [
        [
            "CallStarted",
            "https://desk.example.com/hooks/<secret>/CallStarted",
            "this app, current secret",
            "7",
        ],
        [
            "CallStarted",
            "https://old.example.com/hooks/<secret>/CallStarted",
            "another address or an old secret",
            "8",
        ],
    ]
    assert not page.delete.isEnabled()
    page.registrations.setCurrentItem(page.registrations.topLevelItem(1))
    assert page.delete.isEnabled()
    click(qtbot, page.delete)
    confirm(account, "Delete")
    wait(account, qloop)
    assert [r.path for r in fake_intulse_qt.made("DELETE")] == ["/webhooks/8"]
    assert page.account_result.text().startswith("Deleted the CallStarted registration.")


@pytest.mark.parametrize("status", [404, 405])
def test_listing_not_supported_is_explained_not_an_error_box(account, fake_intulse_qt, qtbot, qloop, status):
    fake_intulse_qt.answers[("GET", "/webhooks")] = (status, "")
    click(qtbot, account.connection.list)
    wait(account, qloop)
    text = account.connection.account_result.text()
    assert text.startswith(f"Listing webhooks is not supported by this Intulse API (HTTP {status}).")
    assert "Intulse portal" in text
    assert "registering here works" in text
    assert account.connection.registrations.isHidden()
    assert not [w for w in account.findChildren(QMessageBox) if w.isVisible()]


def test_deleting_not_supported_is_explained(account, fake_intulse_qt, qtbot, qloop):
    fake_intulse_qt.listing = [
        {"Id": 8, "Url": "https://old.example.com/hooks/x/CallStarted", "Type": "CallStarted"}
    ]
    fake_intulse_qt.answers[("DELETE", "/webhooks/8")] = (405, "")
    page = account.connection
    click(qtbot, page.list)
    wait(account, qloop)
    page.registrations.setCurrentItem(page.registrations.topLevelItem(0))
    click(qtbot, page.delete)
    confirm(account, "Delete")
    wait(account, qloop)
    assert page.account_result.text() == (
        "Deleting webhooks is not supported by this Intulse API (HTTP 405), "
        "or that webhook no longer exists. "
        "Delete it in the Intulse portal instead."
    )


# --- test delivery -------------------------------------------------------------------------------


def test_a_test_delivery_that_arrives_shows_the_time_and_that_this_app_saw_it(port, dialog, qtbot, qloop):
    click(qtbot, dialog.connection.test)
    wait(dialog, qloop)
    lines = dialog.connection.test_result.text().splitlines()
    assert lines[0].startswith("✓ The test arrived in ")
    assert lines[0].endswith(" ms.")
    assert lines[1].startswith("This app's receiver got it at ")
    assert lines[2].startswith("Only this computer's own address was tested")
    assert lines[3] == f"Tested http://127.0.0.1:{port}/hooks/<secret>/CallStarted"


def test_a_test_delivery_that_fails_names_the_step_and_what_to_do(desktop, port, dialog, qtbot, qloop):
    nowhere = closed_port()
    dialog.connection.public_url.setText(f"http://127.0.0.1:{nowhere}")
    click(qtbot, dialog.connection.test)
    wait(desktop, qloop)
    lines = dialog.connection.test_result.text().splitlines()
    assert lines[0] == f"✗ The test did not arrive: 127.0.0.1:{nowhere} refused the connection."
    assert lines[1].startswith("What to do: nothing listens there")
    assert SECRET not in dialog.connection.test_result.text()


def test_a_test_delivery_leaves_a_line_in_recent_deliveries(port, dialog, qtbot, qloop):
    click(qtbot, dialog.connection.test)
    wait(dialog, qloop)
    item = dialog.connection.deliveries.topLevelItem(0)
    assert [item.text(1), item.text(2), item.text(3)] == [
        "test",
        "200",
        "test delivery (not stored, nothing pops)",
    ]


# --- recent deliveries ---------------------------------------------------------------------------


def test_recent_deliveries_say_why_each_popped_or_not(desktop, me, port, dialog, qtbot, qloop):
    desktop.save_settings(
        me.with_values(
            {
                "listen_port": port,
                "quiet_hours": True,
                "quiet_start": time(0),
                "quiet_end": time(0),
                "breakthrough_numbers": ["+13175550199"],
            }
        )
    )
    urls = webhook_urls(f"http://127.0.0.1:{port}", SECRET)
    call = payload("CallStarted")
    posts = [
        ("CallStarted", call),  # quiet hours
        ("CallStarted", call),  # repeated
        ("CallStarted", call | {"Id": "2", "Extension": "205", "UserId": None}),  # not mine
        ("CallStarted", call | {"Id": "3", "RemotePartyNumber": "(317) 555-0199"}),  # breaks through
        ("TextMessageReceived", payload("TextMessageReceived") | {"To": "+13175550101"}),  # not my number
        ("CallStarted", call | {"Direction": "Sideways"}),  # invalid
    ]
    for event_type, body in posts:
        request(qloop, "POST", urls[event_type], body)
    qloop.run_until_complete(desktop.service.flush())
    click(qtbot, dialog.connection.refresh)
    tree = dialog.connection.deliveries
    happened = [tree.topLevelItem(i).text(3) for i in range(tree.topLevelItemCount())][::-1]
    assert happened[:5] == [
        "quiet hours",
        "repeated delivery",
        "not my extension",
        "popped (a break-through number)",
        "not my number",
    ]
    assert happened[5].startswith("invalid (HTTP 422): invalid CallStarted: Direction")
    assert tree.topLevelItem(0).text(2) == "422"


def test_recent_deliveries_follow_new_deliveries_while_open(desktop, port, dialog, qtbot, qloop):
    request(
        qloop, "POST", webhook_urls(f"http://127.0.0.1:{port}", SECRET)["CallStarted"], payload("CallStarted")
    )
    qtbot.waitUntil(lambda: dialog.connection.deliveries.topLevelItemCount() == 1)
    assert dialog.connection.deliveries.topLevelItem(0).text(3) == "popped"


# --- receiving from an office hub ------------------------------------------------------------------


def test_a_hub_needs_its_address(dialog):
    dialog.connection.from_hub.setChecked(True)
    assert reason(dialog.connection, "hub_url") == "enter the hub's address"
    assert not dialog.ok.isEnabled()


def test_the_hub_address_takes_several_hubs_and_names_a_bad_one(desktop, dialog, qtbot, qloop):
    page = dialog.connection
    page.from_hub.setChecked(True)
    page.hub_token.setText("hub-token-0123456789")
    page.hub_url.setText("https://a.example, ftp://b.example")
    assert "'ftp://b.example' is not a http(s):// or ws(s):// URL" in reason(page, "hub_url")
    assert not dialog.ok.isEnabled()
    page.hub_url.setText("https://a.example/, https://b.example")
    assert reason(page, "hub_url") == ""
    apply(dialog, qtbot, qloop)
    assert saved(desktop).hub_url == "https://a.example,https://b.example"


def test_the_hub_and_its_token_are_stored_the_token_as_a_secret(desktop, dialog, qtbot, qloop):
    page = dialog.connection
    assert not page.hub_url.isEnabled()
    page.from_hub.setChecked(True)
    page.hub_url.setText("https://hub.office.example:8766/")
    page.hub_token.setText("hub-token-0123456789")
    apply(dialog, qtbot, qloop)
    assert saved(desktop).receive_from == "hub"
    assert saved(desktop).hub_url == "https://hub.office.example:8766"
    assert desktop.secrets.get(HUB_TOKEN) == "hub-token-0123456789"
    assert "hub-token" not in desktop.paths.settings_file.read_text()
    assert desktop.secrets.redactor("hub-token-0123456789") == "<secret>"


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://hub.office.example:8766", True),
        ("ws://192.0.2.7:8766", True),
        ("https://hub.office.example:8766", False),
        ("http://127.0.0.1:8766", False),  # this computer: an SSH tunnel, say
    ],
)
def test_a_hub_address_that_is_not_encrypted_is_warned_about(dialog, url, warned):
    page = dialog.connection
    page.from_hub.setChecked(True)
    page.hub_url.setText(url)
    warning = page.source.in_clear
    assert warning.isVisibleTo(page) is warned
    assert "the token and every call and text would travel in clear" in warning.text()


# --- notifications, integrations, general ----------------------------------------------------------


def test_notification_settings_are_applied(desktop, dialog, qtbot, qloop):
    page = dialog.notifications
    page.popup["popup_inbound"].setChecked(False)
    page.popup["popup_outbound"].setChecked(True)
    page.sound["sound_text"].setChecked(False)
    page.volume.setValue(35)
    page.seconds.setValue(0)  # until dismissed
    page.corner.setCurrentIndex(page.corner.findData("top-left"))
    page.quiet.setChecked(True)
    for day in ("sat", "sun"):
        page.days[day].setChecked(False)
    page.start.setTime(page.start.time().fromString("22:30", "HH:mm"))
    page.end.setTime(page.end.time().fromString("07:00", "HH:mm"))
    page.breakthrough.entry.setText("317-555-0142")
    click(qtbot, page.breakthrough.add)
    assert page.quiet_summary.text() == "On Mon–Fri from 22:30 to 07:00 the next day."
    apply(dialog, qtbot, qloop)
    s = saved(desktop)
    assert (s.popup_inbound, s.popup_outbound, s.sound_text, s.sound_volume) == (False, True, False, 35)
    assert (s.card_seconds, s.card_corner) == (None, "top-left")
    assert s.quiet_hours
    assert s.quiet_days == ["mon", "tue", "wed", "thu", "fri"]
    assert (s.quiet_start, s.quiet_end) == (time(22, 30), time(7, 0))
    assert s.breakthrough_numbers == ["+13175550142"]
    assert desktop.cards.corner == "top-left"


def test_choosing_system_notifications_takes_effect_at_once(dialog, desktop, qtbot, qloop, monkeypatch):
    from intulse_desktop.ui.notifications import NotificationPopups

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")  # no server: cards after all
    page = dialog.notifications
    assert page.popup_style.currentData() == "auto"
    page.popup_style.setCurrentIndex(page.popup_style.findText("System notifications"))
    apply(dialog, qtbot, qloop)
    assert saved(desktop).popup_style == "notifications"
    if sys.platform.startswith("linux"):
        assert isinstance(desktop.popups, NotificationPopups)
    else:  # Windows and macOS keep the cards
        assert desktop.popups is desktop.cards


def test_quiet_hours_without_a_day_are_refused(dialog):
    page = dialog.notifications
    page.quiet.setChecked(True)
    for box in page.days.values():
        box.setChecked(False)
    assert reason(page, "quiet_days") == "choose at least one day for quiet hours"
    assert not dialog.ok.isEnabled()


def test_play_previews_a_sound_at_the_chosen_volume(desktop, dialog, qtbot, monkeypatch):
    played = []
    monkeypatch.setattr(desktop.sounds, "play", lambda kind, volume: played.append((kind, volume)))
    dialog.notifications.volume.setValue(40)
    plays = buttons(dialog.notifications, "▶ Play")
    for button in plays:
        click(qtbot, button)
    assert played == [("ring", 0.4), ("missed", 0.4), ("text", 0.4)]


def test_the_crm_template_is_previewed_for_a_sample_call_as_it_is_typed(dialog):
    page = dialog.integrations
    assert page.crm_preview.text() == "No “Open in CRM” button on cards."
    page.crm.setText("https://crm.example.com/find?n={number}&who={name}&ext={extension}")
    assert (
        page.crm_preview.text()
        == "https://crm.example.com/find?n=+13175550142&who=ACME%20Plumbing%20%26%20Sons&ext=204"
    )
    dialog.me.extension.setText("301")
    assert page.crm_preview.text().endswith("&ext=301")


@pytest.mark.parametrize(("choice", "template"), [("sip", "sip:{number}"), ("callto", "callto:{number}")])
def test_a_call_back_preset_is_saved_as_its_template(desktop, dialog, qtbot, qloop, choice, template):
    page = dialog.integrations
    page.method.setCurrentIndex(page.method.findData(choice))
    assert page.call_back_preview.text() == template.replace("{number}", "+13175550142")
    apply(dialog, qtbot, qloop)
    assert (saved(desktop).call_back_method, saved(desktop).call_back_url_template) == ("url", template)


def test_a_custom_call_back_template_is_saved_and_reloaded_as_custom(desktop, dialog, qtbot, qloop):
    page = dialog.integrations
    page.method.setCurrentIndex(page.method.findData("custom"))
    page.template.setText("https://dialer.example.com/call?to={number}")
    apply(dialog, qtbot, qloop)
    assert saved(desktop).call_back_url_template == "https://dialer.example.com/call?to={number}"
    dialog.load()
    assert page.method.currentData() == "custom"
    assert page.template.text().startswith("https://dialer")


def test_click_to_call_needs_an_api_key(desktop, dialog, qtbot, qloop):
    page = dialog.integrations
    page.method.setCurrentIndex(page.method.findData("click-to-call"))
    assert reason(page, "call_back_method") == "click-to-call needs the Intulse API key (Connection tab)"
    dialog.connection.api_key.setText(API_KEY)
    assert reason(page, "call_back_method") == ""
    apply(dialog, qtbot, qloop)
    assert saved(desktop).call_back_method == "click-to-call"


def test_click_to_call_needs_my_extension(dialog):
    dialog.connection.api_key.setText(API_KEY)
    dialog.me.extension.clear()
    page = dialog.integrations
    page.method.setCurrentIndex(page.method.findData("click-to-call"))
    assert "enter it on the Me tab" in reason(page, "call_back_method")


def test_start_at_login_writes_and_removes_the_login_item(dialog, qtbot, qloop):
    assert not dialog.general.autostart.isChecked()
    dialog.general.autostart.setChecked(True)
    apply(dialog, qtbot, qloop)
    assert autostart.is_enabled()
    dialog.general.autostart.setChecked(False)
    apply(dialog, qtbot, qloop)
    assert not autostart.is_enabled()


def test_the_login_item_itself_is_what_the_box_shows(desktop):
    autostart.enable()
    desktop.show_settings()
    assert desktop.windows["settings"].general.autostart.isChecked()


def test_retention_and_log_level_are_applied(desktop, dialog, qtbot, qloop, restore_logging):
    dialog.general.retention.setValue(90)
    dialog.general.log_level.setCurrentIndex(dialog.general.log_level.findData("DEBUG"))
    apply(dialog, qtbot, qloop)
    assert (saved(desktop).retention_days, saved(desktop).log_level) == (90, "DEBUG")
    assert logging.getLogger().level == logging.DEBUG


def test_open_data_folder_opens_the_folder(desktop, dialog, qtbot):
    click(qtbot, dialog.general.open_data)
    assert desktop.opened == [desktop.paths.data_dir.as_uri()]


def test_a_refused_delivery_shows_up_while_the_tab_is_open(desktop, port, qtbot, qloop, monkeypatch):
    monkeypatch.setattr("intulse_desktop.ui.settings.deliveries.POLL_MS", 20)
    desktop.show_settings()
    dialog = desktop.windows["settings"]
    dialog.tabs.setCurrentIndex(dialog.pages.index(dialog.connection))
    url = webhook_urls(f"http://127.0.0.1:{port}", SECRET)["CallStarted"]
    assert request(qloop, "POST", url, {"Direction": "Sideways"})[0] == 422  # no listener hears of it
    qtbot.waitUntil(lambda: dialog.connection.deliveries.topLevelItemCount() == 1)
    assert dialog.connection.deliveries.topLevelItem(0).text(3).startswith("invalid (HTTP 422)")


def test_refreshing_without_news_keeps_the_selection(desktop, port, dialog, qtbot, qloop):
    request(
        qloop, "POST", webhook_urls(f"http://127.0.0.1:{port}", SECRET)["CallStarted"], payload("CallStarted")
    )
    qtbot.waitUntil(lambda: dialog.connection.deliveries.topLevelItemCount() == 1)
    tree = dialog.connection.deliveries
    tree.setCurrentItem(tree.topLevelItem(0))
    click(qtbot, dialog.connection.refresh)
    assert tree.currentItem() is not None


def test_reopening_the_dialog_clears_old_results(desktop, port, dialog, qtbot, qloop):
    click(qtbot, dialog.connection.test)
    wait(desktop, qloop)
    dialog.reject()
    desktop.show_settings()
    assert dialog.connection.test_result.text() == ""
