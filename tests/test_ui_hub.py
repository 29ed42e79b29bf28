"""The tray app receiving from an office hub: the same pop-ups, and the connection's state in the tray.

Each test runs whole inside the app's loop, as the app does: the hub connection
is a task that lives across the test's steps.
"""

from __future__ import annotations

import pytest

from intulse_desktop.hub import client as hub_client
from intulse_desktop.hub.users import Users
from intulse_desktop.secrets import HUB_TOKEN
from intulse_desktop.ui.cards import CallCard

from .helpers.hub import HubRunner
from .helpers.net import closed_port
from .helpers.waiting import eventually


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(hub_client, "backoff", lambda attempt: 0.01)


@pytest.fixture
def play(qloop, desktop, tmp_path, me):
    """Run ``scenario(hub)`` in the app's loop with a hub running and this desktop connected to it."""

    def run(scenario):
        async def whole():
            hub = HubRunner(tmp_path / "hub")
            await hub.start()
            try:
                _, token = hub.add("204", ["+13175550100"])
                desktop.secrets.set(HUB_TOKEN, token)
                await desktop.apply_settings(me.with_values({"receive_from": "hub", "hub_url": hub.url()}))
                await eventually(lambda: "Receiving from the office hub" in tooltip(desktop))
                await scenario(hub)
            finally:
                await desktop.service.receive_locally("127.0.0.1", 0)
                await hub.stop()
                hub.users.close()

        qloop.run_until_complete(whole())

    return run


def tooltip(desktop) -> str:
    return desktop.tray.icon.toolTip()


def test_in_hub_mode_the_receiver_is_off_and_the_tray_says_connected(qloop, desktop, play):
    qloop.run_until_complete(desktop.service.listen("127.0.0.1", 0))

    async def scenario(hub):
        assert desktop.service.address is None
        assert "as ext 204" in tooltip(desktop)

    play(scenario)


def test_my_call_from_the_hub_pops_a_card_and_is_in_my_log(desktop, play):
    async def scenario(hub):
        await hub.post("CallStarted")
        await eventually(lambda: any(isinstance(c, CallCard) for c in desktop.cards.cards))
        assert desktop.store.call("1764130211.5512") is not None

    play(scenario)


def test_the_tray_says_reconnecting_while_the_hub_is_down(desktop, play):
    async def scenario(hub):
        await hub.stop()
        await eventually(lambda: "reconnecting to the office hub" in tooltip(desktop))
        await hub.start()
        await eventually(lambda: "Receiving from the office hub" in tooltip(desktop))

    play(scenario)


def test_the_tray_says_refused_when_the_token_is_revoked(desktop, play):
    async def scenario(hub):
        admin = Users(hub.paths.hub_users)
        admin.remove([u.id for u in admin.all()])
        admin.close()
        await eventually(lambda: "refused this desktop" in tooltip(desktop))
        assert desktop.service.hub_state[0] == "rejected"

    play(scenario)


def test_back_to_this_computer_stops_the_hub_and_listens_again(desktop, play, me):
    async def scenario(hub):
        await desktop.apply_settings(me.with_values({"listen_port": closed_port()}))
        assert desktop.service.hub_state is None
        assert desktop.service.address is not None
        assert "office hub" not in tooltip(desktop)

    play(scenario)
