"""The first-run assistant: opened on the first start and from the tray, each page checked as
Settings checks it, skippable, and saved to the same settings; a real hub, the fake Intulse
API, the app's own receiver and a sample card."""

from __future__ import annotations

import json
import os

import pytest
from PySide6.QtWidgets import QWizard

from intulse_desktop.receiver import webhook_urls
from intulse_desktop.samples import TEST_CALLER, TEST_NUMBER
from intulse_desktop.secrets import HUB_TOKEN, SecretStore
from intulse_desktop.settings import Settings
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.cards import CallCard
from intulse_desktop.ui.setup.reach import CLEAR_TEXT, HUB, LOCAL, OWN, TUNNEL
from intulse_desktop.ui.shell import Shell
from intulse_desktop.ui.tunnel_status import TunnelKeeper

from .helpers.builders import API_KEY, SECRET
from .helpers.finders import action_texts
from .helpers.hub import HubRunner
from .helpers.net import closed_port
from .helpers.tunnels import settled
from .helpers.waiting import run_until


@pytest.fixture
def me():
    """A new user: nothing set up yet (sounds off, so no test plays one)."""
    return Settings(sound_ring=False, sound_missed=False, sound_text=False)


@pytest.fixture
def assistant(desktop):
    """The assistant the first start opened."""
    return desktop.windows["setup"]


def wait(assistant, qloop):
    qloop.run_until_complete(assistant.tasks.wait())


def saved(desktop):
    return Settings.load(desktop.paths.settings_file)


def next_page(assistant, qloop):
    """Press Next, and let the saving it starts finish (the page moves on by itself)."""
    assert assistant.button(QWizard.WizardButton.NextButton).isEnabled(), assistant.currentPage().problems
    assistant.next()
    wait(assistant, qloop)


def skip(assistant):
    assistant.button(QWizard.WizardButton.CustomButton1).click()


def reason(form, key):
    label = form.reasons[key]
    return "" if label.isHidden() else label.text()


def go_to(assistant, step):
    while assistant.currentPage() is not step:
        skip(assistant)


# --- opening ---------------------------------------------------------------------------------


def test_the_first_start_opens_the_assistant_on_its_first_page(assistant):
    assert assistant.isVisible()
    assert not assistant.isModal()
    assert assistant.currentPage() is assistant.you


def opens_at_start(desktop, qloop) -> bool:
    """Whether the assistant opens when the app starts again with what is saved now."""
    again = Shell(desktop.service, desktop.paths, Tasks(qloop), SecretStore(desktop.paths))
    again.start()
    try:
        return "setup" in again.windows
    finally:
        again.close()


def test_a_second_start_after_it_was_closed_does_not_open_it(desktop, assistant, qloop):
    assistant.reject()
    assert saved(desktop).setup_done
    assert not opens_at_start(desktop, qloop)


def test_a_user_set_up_from_the_command_line_is_not_asked(desktop, qloop):
    desktop.save_settings(Settings(extension="204"))
    assert not opens_at_start(desktop, qloop)


def test_set_up_in_the_tray_menu_opens_it_again(desktop, assistant):
    assistant.reject()
    assert "Set &up…" in action_texts(desktop.tray.menu)
    desktop.tray.actions["setup"].trigger()
    assert assistant.isVisible()


def test_finishing_it_means_it_does_not_open_by_itself_again(desktop, assistant):
    go_to(assistant, assistant.try_it)
    assistant.button(QWizard.WizardButton.FinishButton).click()
    assert not assistant.isVisible()
    assert saved(desktop).setup_done


# --- you ---------------------------------------------------------------------------------------


def test_a_bad_extension_holds_next_back_and_says_why_beside_it(assistant):
    assistant.you.me.extension.setText("20 4")
    assert not assistant.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "extension" in reason(assistant.you.me, "extension").lower()


def test_next_saves_extension_numbers_and_user_id(desktop, assistant, qloop):
    you = assistant.you.me
    you.extension.setText("204")
    you.numbers.entry.setText("(317) 555-0100")
    you.numbers.add.click()
    you.user_id.setText("17")
    next_page(assistant, qloop)
    assert assistant.currentPage() is assistant.reach
    assert (saved(desktop).extension, saved(desktop).my_numbers, saved(desktop).user_id) == (
        "204",
        ["+13175550100"],
        17,
    )
    assert desktop.settings.extension == "204"  # in force, not only on disk


def test_skip_goes_on_without_saving(desktop, assistant):
    assistant.you.me.extension.setText("204")
    skip(assistant)
    assert assistant.currentPage() is assistant.reach
    assert saved(desktop).extension == ""


# --- how Intulse reaches you ---------------------------------------------------------------------


@pytest.fixture
def reach(assistant):
    go_to(assistant, assistant.reach)
    return assistant.reach.form


@pytest.fixture
def hub(tmp_path, qloop):
    """A real office hub on a free port, on the app's own loop."""
    runner = HubRunner(tmp_path / "hub")
    qloop.run_until_complete(runner.start())
    yield runner
    qloop.run_until_complete(runner.stop())


def test_a_hub_needs_its_address_and_its_token(assistant, reach):
    reach.choices[HUB].setChecked(True)
    assert reason(reach, "hub_url") == "enter the hub's address"
    assert reason(reach, "hub_token") == "enter the token the hub's administrator gave you"
    assert not assistant.button(QWizard.WizardButton.NextButton).isEnabled()


def test_check_asks_the_hub_who_it_knows_this_desktop_as(hub, assistant, reach, qloop):
    _, token = hub.add("204", ["+13175550100"])
    reach.choices[HUB].setChecked(True)
    reach.hub_url.setText(hub.url())
    reach.hub_token.setText(token)
    reach.check.click()
    wait(assistant, qloop)
    assert reach.hub_result.text() == "✓ The hub knows this desktop as ext 204 (+13175550100)."


def test_next_with_a_hub_saves_it_its_token_and_who_it_knows_me_as(desktop, hub, assistant, reach, qloop):
    _, token = hub.add("204", ["+13175550100"], user_id=17)
    reach.choices[HUB].setChecked(True)
    reach.hub_url.setText(hub.url())
    reach.hub_token.setText(token)
    next_page(assistant, qloop)
    assert assistant.currentPage() is assistant.account
    settings = saved(desktop)
    assert (settings.receive_from, settings.hub_url) == ("hub", hub.url())
    assert (settings.extension, settings.my_numbers, settings.user_id) == ("204", ["+13175550100"], 17)
    assert desktop.secrets.get(HUB_TOKEN) == token
    assert token not in desktop.paths.settings_file.read_text()


def test_a_token_the_hub_refuses_is_said_and_nothing_is_saved(desktop, hub, assistant, reach, qloop):
    hub.add("204")
    reach.choices[HUB].setChecked(True)
    reach.hub_url.setText(hub.url())
    reach.hub_token.setText("not-the-token-0123456789")
    next_page(assistant, qloop)
    assert assistant.currentPage() is assistant.reach
    assert reach.hub_result.text().startswith("✗ the hub does not accept this desktop's token")
    assert saved(desktop).receive_from == "computer"
    assert desktop.secrets.get(HUB_TOKEN) is None


def test_a_hub_that_does_not_answer_is_said(assistant, reach, qloop):
    reach.choices[HUB].setChecked(True)
    reach.hub_url.setText(f"http://127.0.0.1:{closed_port()}")
    reach.hub_token.setText("a-token-0123456789abcdef")
    reach.check.click()
    wait(assistant, qloop)
    assert (
        reach.hub_result.text() == "✗ cannot reach the hub: nothing answers at its address (is it running?)"
    )


def test_a_hub_address_in_clear_to_another_machine_is_warned_about(assistant, reach):
    reach.choices[HUB].setChecked(True)
    reach.hub_url.setText("http://hub.office.example:8766")
    assert not reach.hub_in_clear.isHidden()
    reach.hub_url.setText("https://hub.office.example:8766")
    assert reach.hub_in_clear.isHidden()


def test_my_own_address_is_saved_as_the_public_url(desktop, assistant, reach, qloop):
    reach.choices[OWN].setChecked(True)
    assert reason(reach, "public_url") == "enter the address Intulse reaches this computer at"
    reach.public_url.setText("https://desk-204.example.com/")
    assert reach.clear_text.isHidden()
    next_page(assistant, qloop)
    assert saved(desktop).public_url == "https://desk-204.example.com"
    assert saved(desktop).tunnel == "none"


def test_a_plain_http_public_url_warns_that_call_data_goes_in_clear(assistant, reach):
    reach.choices[OWN].setChecked(True)
    reach.public_url.setText("http://desk-204.example.com")
    assert not reach.clear_text.isHidden()
    assert reach.clear_text.text() == CLEAR_TEXT
    assert "unencrypted" in CLEAR_TEXT
    assert assistant.button(QWizard.WizardButton.NextButton).isEnabled()  # a warning, not a refusal


def test_a_public_url_is_checked_as_settings_checks_it(assistant, reach):
    reach.choices[OWN].setChecked(True)
    reach.public_url.setText("ftp://desk")
    assert reason(reach, "public_url") == Settings().try_values({"public_url": "ftp://desk"})[1]["public_url"]
    assert not assistant.button(QWizard.WizardButton.NextButton).isEnabled()


def test_only_this_computer_clears_the_public_url(desktop, assistant, reach, qloop):
    desktop.save_settings(desktop.settings.with_values({"public_url": "https://old.example.com"}))
    assistant.back()
    skip(assistant)
    reach.choices[LOCAL].setChecked(True)
    next_page(assistant, qloop)
    assert saved(desktop).public_url is None


def test_a_tunnel_tool_that_is_not_installed_is_named(assistant, reach, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    reach.choices[TUNNEL].setChecked(True)
    reach.tool.setCurrentIndex(reach.tool.findData("ngrok"))
    assert reason(reach, "tunnel").startswith("ngrok was not found on PATH")
    assert not assistant.button(QWizard.WizardButton.NextButton).isEnabled()


def test_a_tunnel_tool_on_path_is_found(fake_tunnels, assistant, reach):
    reach.choices[TUNNEL].setChecked(True)
    reach.tool.setCurrentIndex(reach.tool.findData("cloudflared"))
    assert reason(reach, "tunnel") == ""
    assert reach.found.text() == f"Found: {fake_tunnels.bin / 'cloudflared'}"


# --- the Intulse account -------------------------------------------------------------------------


@pytest.fixture
def account(desktop, assistant, fake_intulse_qt):
    """Set up to here: an extension and a public URL; the API address points at the fake Intulse."""
    desktop.save_settings(
        desktop.settings.with_values(
            {"extension": "204", "public_url": "https://desk.example.com", "api_url": fake_intulse_qt.url}
        )
    )
    go_to(assistant, assistant.account)
    return assistant.account.account


def test_register_stores_the_key_and_shows_each_event_types_result(
    desktop, assistant, account, fake_intulse_qt, qloop
):
    account.api_key.setText(API_KEY)
    account.register.click()
    wait(assistant, qloop)
    assert account.account_result.text().splitlines() == [
        "All four webhooks are registered.",
        "✓ CallStarted: registered",
        "✓ CallCompleted: registered",
        "✓ ExtensionUpdated: registered",
        "✓ TextMessageReceived: registered",
    ]
    posted = {
        json.loads(r.body)["Type"]: json.loads(r.body)["Url"]
        for r in fake_intulse_qt.made("POST", "/webhooks")
    }
    assert posted == webhook_urls("https://desk.example.com", SECRET)
    assert desktop.secrets.api_key() == API_KEY
    assert API_KEY not in desktop.paths.settings_file.read_text()


def test_a_refused_registration_is_shown_per_type(assistant, account, fake_intulse_qt, qloop):
    fake_intulse_qt.answers[("POST", "/webhooks")] = (401, "{}")
    account.api_key.setText(API_KEY)
    account.register.click()
    wait(assistant, qloop)
    lines = account.account_result.text().splitlines()
    assert lines[0] == "0 of 4 webhooks are registered:"
    assert all(line.startswith("✗ ") for line in lines[1:])


def test_a_malformed_key_holds_next_back(assistant, account):
    account.api_key.setText("not a key")
    assert not assistant.button(QWizard.WizardButton.NextButton).isEnabled()
    assert reason(account, "api_key")


def test_next_stores_the_key_and_skip_does_not(desktop, assistant, account, qloop):
    account.api_key.setText(API_KEY)
    skip(assistant)
    assert desktop.secrets.api_key() is None
    assistant.back()
    account.api_key.setText(API_KEY)
    next_page(assistant, qloop)
    assert assistant.currentPage() is assistant.try_it
    assert desktop.secrets.api_key() == API_KEY


def test_with_a_hub_it_says_the_hub_registers(desktop, assistant):
    desktop.save_settings(desktop.settings.with_values({"receive_from": "hub", "hub_url": "http://hub:1"}))
    go_to(assistant, assistant.account)
    assert not assistant.account.from_hub.isHidden()


# --- try it ---------------------------------------------------------------------------------------


@pytest.fixture
def try_it(desktop, assistant, qloop):
    """Set up to here, the receiver listening on a free port, which the public URL leads to."""
    port = closed_port()
    qloop.run_until_complete(desktop.service.listen("127.0.0.1", port))
    desktop.save_settings(
        desktop.settings.with_values(
            {"extension": "204", "listen_port": port, "public_url": f"http://127.0.0.1:{port}"}
        )
    )
    go_to(assistant, assistant.try_it)
    return assistant.try_it


def test_the_delivery_test_goes_through_the_public_url_to_this_apps_receiver(
    desktop, assistant, try_it, qloop
):
    try_it.tester.test.click()
    wait(assistant, qloop)
    lines = try_it.tester.test_result.text().splitlines()
    assert lines[0].startswith("✓ The test arrived in ")
    assert lines[1].startswith("This app's receiver got it at ")
    assert lines[-1] == f"Tested {desktop.settings.public_url}/hooks/<secret>/CallStarted"


def test_a_delivery_test_that_fails_says_what_to_do(desktop, assistant, try_it, qloop):
    desktop.save_settings(desktop.settings.with_values({"public_url": f"http://127.0.0.1:{closed_port()}"}))
    try_it.tester.test.click()
    wait(assistant, qloop)
    lines = try_it.tester.test_result.text().splitlines()
    assert lines[0].startswith("✗ The test did not arrive: ")
    assert lines[1].startswith("What to do: ")


def test_the_sample_call_pops_up_a_card_for_my_extension(desktop, try_it, qtbot):
    try_it.sample.show_sample.click()
    [card] = desktop.cards.cards
    assert isinstance(card, CallCard)
    assert card.isVisible()
    assert card.name.text() == TEST_CALLER
    assert try_it.sample.sample_result.text().startswith("✓ There it is")
    assert desktop.store.calls_with(TEST_NUMBER, 5) == []  # not kept in the log


def test_a_sample_that_would_not_pop_says_why(desktop, try_it):
    desktop.save_settings(desktop.settings.with_values({"do_not_disturb": True}))
    try_it.sample.show_sample.click()
    assert desktop.cards.cards == []
    assert try_it.sample.sample_result.text().startswith("Nothing popped: ")


# --- a tunnel this app runs -------------------------------------------------------------------------


@pytest.fixture
def tunneling(desktop, assistant, qloop, fake_tunnels, fake_intulse_qt):
    """The fake tunnel tools on PATH, the receiver listening, the API at the fake Intulse; the
    tunnel the assistant starts is stopped afterwards, once its delivery test has run."""
    qloop.run_until_complete(desktop.service.receive_locally("127.0.0.1", 0))
    desktop.save_settings(desktop.settings.with_values({"extension": "204", "api_url": fake_intulse_qt.url}))
    keeper = TunnelKeeper(desktop)  # as the tray app runs it
    qloop.run_until_complete(keeper.start())
    go_to(assistant, assistant.reach)
    news = []
    heard = []

    def hear_each_new_tunnel(change):  # its first news is "Starting…": nothing after it is missed
        tunnel = desktop.tunnel
        if tunnel is not None and all(tunnel is not other for other in heard):
            heard.append(tunnel)
            news.clear()
            tunnel.subscribe(lambda said: news.append(said.message))

    desktop.changed.connect(hear_each_new_tunnel)
    yield news
    if desktop.tunnel is not None:
        run_until(qloop, lambda: settled(news), what=lambda: str(news))
    qloop.run_until_complete(keeper.stop())


def start_cloudflared(desktop, assistant, qloop):
    reach = assistant.reach.form
    reach.choices[TUNNEL].setChecked(True)
    reach.tool.setCurrentIndex(reach.tool.findData("cloudflared"))
    reach.start_tunnel.click()
    wait(assistant, qloop)
    assert desktop.tunnel is not None
    run_until(qloop, lambda: desktop.tunnel.address, what=lambda: reach.tunnel_state.text())
    return desktop.tunnel


@pytest.mark.posix
def test_start_the_tunnel_saves_it_starts_it_and_shows_its_address(desktop, assistant, qloop, tunneling):
    tunnel = start_cloudflared(desktop, assistant, qloop)
    state = assistant.reach.form.tunnel_state
    run_until(qloop, lambda: state.text().startswith(f"Reachable at {tunnel.address} (cloudflared)"))
    assert saved(desktop).tunnel == "cloudflared"
    assert f"Reachable at {tunnel.address}" in desktop.tray.icon.toolTip()


@pytest.mark.posix
def test_without_a_key_the_tunnel_page_says_the_urls_to_register(desktop, assistant, qloop, tunneling):
    tunnel = start_cloudflared(desktop, assistant, qloop)
    state = assistant.reach.form.tunnel_state
    run_until(qloop, lambda: f"✗ The webhook URLs are now at {tunnel.address}/hooks/…" in state.text())


@pytest.mark.posix
def test_register_goes_to_the_tunnels_address(desktop, assistant, qloop, tunneling, fake_intulse_qt):
    tunnel = start_cloudflared(desktop, assistant, qloop)
    next_page(assistant, qloop)
    account = assistant.account.account
    account.api_key.setText(API_KEY)
    account.register.click()
    wait(assistant, qloop)
    assert account.account_result.text() == f"✓ Registered the 4 webhooks at {tunnel.address}"
    posted = {json.loads(r.body)["Url"] for r in fake_intulse_qt.made("POST", "/webhooks")}
    assert posted == set(webhook_urls(tunnel.address, SECRET).values())


@pytest.mark.posix
def test_the_delivery_test_goes_through_the_tunnel(desktop, assistant, qloop, tunneling):
    tunnel = start_cloudflared(desktop, assistant, qloop)
    run_until(qloop, lambda: settled(tunneling), what=lambda: str(tunneling))  # its own test first
    go_to(assistant, assistant.try_it)
    assistant.try_it.tester.test.click()
    wait(assistant, qloop)
    lines = assistant.try_it.tester.test_result.text().splitlines()
    assert lines[0].startswith("✓ The test arrived in ")
    assert lines[-1] == f"Tested {tunnel.address}/hooks/<secret>/CallStarted"


@pytest.mark.posix
def test_choosing_this_computer_only_stops_the_tunnel(desktop, assistant, qloop, tunneling, fake_tunnels):
    start_cloudflared(desktop, assistant, qloop)
    run_until(qloop, lambda: settled(tunneling), what=lambda: str(tunneling))
    assistant.reach.form.choices[LOCAL].setChecked(True)
    next_page(assistant, qloop)
    assert desktop.tunnel is None
    assert saved(desktop).tunnel == "none"
    with pytest.raises(ProcessLookupError):  # the tool's process has ended
        os.kill(fake_tunnels.pid("cloudflared"), 0)
    assert "Reachable at" not in desktop.tray.icon.toolTip()


@pytest.mark.posix
def test_the_tunnel_chosen_here_is_in_settings_and_a_change_there_follows(
    desktop, assistant, qloop, tunneling
):
    start_cloudflared(desktop, assistant, qloop)
    run_until(qloop, lambda: settled(tunneling), what=lambda: str(tunneling))
    desktop.show_settings()
    dialog = desktop.windows["settings"]
    receiver = dialog.connection.receiver
    assert receiver.tunnel.currentData() == "cloudflared"
    receiver.tunnel.setCurrentIndex(receiver.tunnel.findData("ngrok"))
    dialog.apply.click()
    qloop.run_until_complete(dialog.tasks.wait())
    assert saved(desktop).tunnel == "ngrok"
    run_until(qloop, lambda: desktop.tunnel is not None and desktop.tunnel.state.tool == "ngrok")
    state = assistant.reach.form.tunnel_state
    run_until(qloop, lambda: "(ngrok)" in state.text(), what=lambda: state.text())  # the page follows
    run_until(qloop, lambda: desktop.tunnel.address, what=lambda: str(desktop.tunnel.state))
