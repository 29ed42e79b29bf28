"""``--tunnel`` on ``--headless`` and ``hub`` as real processes, with the fake tools and the fake
Intulse: one line on stderr per change; ``webhook-url`` shows the running tunnel's address."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import aiohttp
import pytest

from intulse_desktop import cli
from intulse_desktop.events import EVENT_TYPES
from intulse_desktop.paths import Paths
from intulse_desktop.secrets import SecretStore
from intulse_desktop.tunnel.published import publish
from intulse_desktop.tunnel.supervisor import Phase, TunnelState

from .helpers.builders import payload
from .helpers.process import Headless
from .helpers.waiting import eventually

ADDRESS = "https://grain-regions-lots-seller.trycloudflare.com"


@pytest.fixture(autouse=True)
def _logging(restore_logging):
    pass


# --- the flag ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--headless", "--tunnel", "frp"],
        ["--tunnel", "cloudflared"],
        ["calls", "--tunnel", "cloudflared"],
        ["hub", "list-users", "--tunnel", "ngrok"],
        ["hub", "--tunnel", "cloudflared", "--certfile", "cert.pem"],
    ],
)
def test_tunnel_flag_misuse_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(argv)
    assert exit.value.code == 2
    assert "--tunnel" in capsys.readouterr().err


# --- webhook-url ------------------------------------------------------------------------------


def test_webhook_url_shows_the_running_tunnels_address(paths, capsys):
    publish(paths.tunnel_file, TunnelState("cloudflared", Phase.UP, ADDRESS))
    assert cli.main(["webhook-url"]) == 0
    out, err = capsys.readouterr()
    secret = SecretStore(paths).webhook_secret()
    assert out.splitlines()[0].split() == ["CallStarted", f"{ADDRESS}/hooks/{secret}/CallStarted"]
    assert "cloudflared tunnel that the running intulse-desktop keeps" in err


def test_webhook_url_says_when_the_tunnel_has_no_address(paths, capsys):
    publish(paths.tunnel_file, TunnelState("ngrok", Phase.RESTARTING, reason="ngrok exited (code 1)"))
    assert cli.main(["webhook-url"]) == 0
    out, err = capsys.readouterr()
    assert "http://127.0.0.1:8765/hooks/" in out
    assert "the ngrok tunnel of the running intulse-desktop has no address now: Tunnel restarting" in err


@pytest.mark.posix  # Windows has no harmless way to ask whether a process lives: the file is trusted
def test_webhook_url_ignores_the_tunnel_of_an_app_that_is_gone(paths, capsys):
    publish(paths.tunnel_file, TunnelState("cloudflared", Phase.UP, ADDRESS))
    record = paths.tunnel_file.read_text().replace(f'"pid": {os.getpid()}', '"pid": 999999999')
    paths.tunnel_file.write_text(record)
    assert cli.main(["webhook-url"]) == 0
    assert ADDRESS not in capsys.readouterr().out


# --- --headless and hub, as processes ----------------------------------------------------------


def address_in(lines: list[str], before: str) -> str:
    return next(line.split(before, 1)[1].split()[0] for line in lines if before in line)


def has(process: Headless, text: str, after: int = 0) -> bool:
    return any(text in line for line in process.err[after:])


@pytest.mark.slow
@pytest.mark.posix
async def test_headless_with_a_tunnel_registers_delivers_and_follows_a_restart(
    intulse_registry, fake_tunnels, home
):
    process = await asyncio.to_thread(Headless, home, "--tunnel", "cloudflared")
    try:
        await eventually(lambda: has(process, "Test delivery through the tunnel"), 20, process.output)
        first = address_in(process.err, "Reachable at ")
        assert has(process, f"intulse-desktop: Registered the 4 webhooks at {first}")
        assert has(process, "intulse-desktop: Test delivery through the tunnel: ok, arrived in ")

        url = f"{first}/hooks/{process.secret}/CallStarted"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=payload("CallStarted")) as answer,
        ):
            assert answer.status == 200
        await eventually(lambda: any(" CallStarted " in line for line in process.out), what=process.output)

        shown = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "intulse_desktop", "webhook-url", "--json"],
            capture_output=True,
            text=True,
        )
        assert f'"{first}/hooks/' in shown.stdout

        seen = len(process.err)
        fake_tunnels.kill("cloudflared")
        await eventually(lambda: has(process, "Test delivery through the tunnel", seen), 20, process.output)
        second = address_in(process.err[seen:], "Reachable at ")
        assert second != first
        assert has(process, "intulse-desktop: Tunnel restarting — cloudflared exited (code -9)", seen)
        assert has(process, f"Deleted the 4 old registrations at {first}", seen)
        assert sorted(w["Url"] for w in intulse_registry.listing) == sorted(
            f"{second}/hooks/{process.secret}/{t}" for t in EVENT_TYPES
        )
        tool = fake_tunnels.pid("cloudflared")
        assert await asyncio.to_thread(process.stop) == 0
    finally:
        process.close()
    assert not Paths.resolve(home).tunnel_file.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(tool, 0)


@pytest.mark.slow
@pytest.mark.posix
async def test_headless_with_a_missing_tool_says_so_and_keeps_receiving(home, monkeypatch):
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))
    process = await asyncio.to_thread(Headless, home, "--tunnel", "ngrok")
    try:
        said = "intulse-desktop: No tunnel — ngrok was not found on PATH"
        await eventually(lambda: has(process, said), what=process.output)
        body = payload("CallStarted")
        async with (
            aiohttp.ClientSession() as session,
            session.post(process.url("CallStarted"), json=body) as answer,
        ):
            assert answer.status == 200
    finally:
        process.close()


@pytest.mark.slow
@pytest.mark.posix
async def test_the_hub_with_a_tunnel_says_the_urls_changed_without_a_key(fake_tunnels, home, tmp_path):
    log = tmp_path / "hub.err"
    env = os.environ | {"INTULSE_DESKTOP_HOME": str(home)}
    with log.open("w") as err:
        hub = subprocess.Popen(
            [sys.executable, "-m", "intulse_desktop", "hub", "--port", "0", "--tunnel", "cloudflared"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        await eventually(lambda: "register them with Intulse" in log.read_text(), 20, log.read_text)
        lines = log.read_text().splitlines()
        address = address_in(lines, "Reachable at ")
        assert f"intulse-desktop hub: Reachable at {address} (cloudflared)" in lines
        assert any(
            line.startswith(f"intulse-desktop hub: The webhook URLs are now at {address}/hooks/")
            for line in lines
        )
        hub.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(hub.wait, 15) == 0
    finally:
        if hub.poll() is None:
            hub.kill()
            hub.wait()
