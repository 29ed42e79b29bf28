"""What a screen reader hears, read from the AT-SPI bus: the whole app in a subprocess on a
private X server and D-Bus, a webhook posted to it, and the ringing call's card found in the
tree with the name Orca speaks, its dismiss button reading "Dismiss"."""

from __future__ import annotations

import subprocess
import sys

import aiohttp
import pytest

from intulse_desktop.paths import Paths
from intulse_desktop.secrets import SecretStore
from intulse_desktop.settings import Settings

from .helpers.atspi import Node, accessibility_bus
from .helpers.builders import payload
from .helpers.net import closed_port
from .helpers.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.atspi]


async def test_a_ringing_call_is_in_the_accessibility_tree_by_its_callers_name(home):
    paths = Paths.resolve(home).ensure()
    Settings(extension="204", sound_ring=False).save(paths.settings_file)
    secret = SecretStore(paths).webhook_secret()
    port = closed_port()
    with accessibility_bus() as (env, tree):
        app = subprocess.Popen(
            [sys.executable, "-m", "intulse_desktop", "--port", str(port)],
            env=env | {"INTULSE_DESKTOP_HOME": str(home)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/hooks/{secret}/CallStarted"

            async def posted() -> bool:
                try:
                    async with (
                        aiohttp.ClientSession() as session,
                        session.post(url, json=payload("CallStarted")) as response,
                    ):
                        return response.status == 200
                except aiohttp.ClientConnectionError:
                    return False  # not listening yet

            await eventually(posted, timeout=30, what="the app to take the webhook")
            card = Node("notification", "Incoming call from ACME PLUMBING, (317) 555-0142")
            await eventually(lambda: card in tree.nodes(), timeout=15, what=lambda: str(tree.nodes()))
            assert Node("push button", "Dismiss") in tree.nodes()
        finally:
            app.terminate()
            app.wait(15)
