"""The tunnel tools on their own: reading each tool's address, starting, restarting, failing clearly.

The tools are the fakes in ``tests/fake_tunnels/``, on PATH under the real names:
they print what the real tools print and really forward to the receiver.
"""

from __future__ import annotations

import json

import aiohttp
import pytest

from intulse_desktop.tunnel import cloudflared, ngrok, tailscale
from intulse_desktop.tunnel.supervisor import TOOLS, Phase, Supervisor, TunnelState
from intulse_desktop.tunnel.tools import TunnelError

from .fake_tunnels.fake_tunnel import TAILSCALE_STATUS, cloudflared_banner, ngrok_log
from .helpers.waiting import eventually

pytestmark = pytest.mark.posix  # the fakes are shell scripts on PATH

QUICK = "https://grain-regions-lots-seller.trycloudflare.com"
NGROK = "https://1a2b-203-0-113-5.ngrok-free.app"


# --- reading the address from what each tool prints ------------------------------------------


def test_cloudflared_address_is_the_url_in_the_banner_box():
    lines = [
        f"2026-12-04T14:00:01Z INF {line}" for line in cloudflared_banner(QUICK, "http://127.0.0.1:8765")
    ]
    assert [found for line in lines if (found := cloudflared.address_in(line))] == [QUICK]


def test_cloudflared_reason_is_the_error_line_without_its_time_stamp():
    line = "2026-12-04T14:00:01Z ERR failed to request quick Tunnel: no such host"
    assert cloudflared.reason_in(line) == "failed to request quick Tunnel: no such host"
    assert cloudflared.reason_in("2026-12-04T14:00:01Z INF Version 2024.11.1") is None


def test_ngrok_address_is_the_url_of_its_started_tunnel_line():
    lines = [json.dumps(record) for record in ngrok_log(NGROK, "http://127.0.0.1:8765")]
    assert [found for line in lines if (found := ngrok.address_in(line))] == [NGROK]


def test_ngrok_reason_is_the_err_of_an_error_line():
    line = json.dumps({"lvl": "eror", "msg": "failed to reconnect session", "err": "authentication failed"})
    assert ngrok.reason_in(line) == "authentication failed"


def test_tailscale_address_is_its_dns_name_over_https():
    assert tailscale.address_in(json.dumps(TAILSCALE_STATUS)) == "https://desk.tail1234.ts.net"


def test_tailscale_not_connected_says_to_run_tailscale_up():
    with pytest.raises(TunnelError, match="tailscale up"):
        tailscale.address_in(json.dumps(TAILSCALE_STATUS | {"BackendState": "NeedsLogin"}))


# --- the supervisor with the fake tools --------------------------------------------------------


@pytest.fixture
async def receiver(aiohttp_server):
    """A stand-in for the receiver: answers /healthz, so a request through the tunnel can be seen."""
    from aiohttp import web

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/healthz", health)
    server = await aiohttp_server(app)
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture
async def supervised():
    started: list[Supervisor] = []

    def make(tool: str, target: str, configured: str | None = None) -> tuple[Supervisor, list[TunnelState]]:
        supervisor = Supervisor(TOOLS[tool](), target, configured, first_delay=0.1, max_delay=0.2)
        states: list[TunnelState] = []
        supervisor.subscribe(states.append)
        supervisor.start()
        started.append(supervisor)
        return supervisor, states

    yield make
    for supervisor in started:
        await supervisor.stop()


async def get_health(address: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{address}/healthz") as response:
        return response.status


@pytest.mark.parametrize("tool", ["cloudflared", "ngrok"])
async def test_the_tools_address_forwards_to_the_receiver(fake_tunnels, supervised, receiver, tool):
    supervisor, _ = supervised(tool, receiver)
    await eventually(lambda: supervisor.state.phase is Phase.UP, what=lambda: str(supervisor.state))
    assert supervisor.state.address != receiver
    assert await get_health(supervisor.state.address) == 200


async def test_cloudflared_is_started_as_a_quick_tunnel_to_the_receiver(fake_tunnels, supervised, receiver):
    supervisor, _ = supervised("cloudflared", receiver)
    await eventually(lambda: supervisor.state.phase is Phase.UP)
    assert fake_tunnels.runs("cloudflared") == [["tunnel", "--no-autoupdate", "--url", receiver]]


async def test_ngrok_is_started_with_its_json_log_on_stdout(fake_tunnels, supervised, receiver):
    supervisor, _ = supervised("ngrok", receiver)
    await eventually(lambda: supervisor.state.phase is Phase.UP)
    assert fake_tunnels.runs("ngrok") == [["http", receiver, "--log", "stdout", "--log-format", "json"]]


async def test_the_state_says_where_it_is_reachable(fake_tunnels, supervised, receiver):
    supervisor, states = supervised("cloudflared", receiver)
    await eventually(lambda: supervisor.state.phase is Phase.UP)
    assert [str(s) for s in states] == [
        "Starting the cloudflared tunnel…",
        f"Reachable at {supervisor.state.address} (cloudflared)",
    ]


async def test_a_killed_tool_is_restarted_with_a_new_address(fake_tunnels, supervised, receiver):
    supervisor, states = supervised("cloudflared", receiver)
    await eventually(lambda: supervisor.state.phase is Phase.UP)
    first = supervisor.state.address
    fake_tunnels.kill("cloudflared")
    await eventually(lambda: supervisor.state.phase is Phase.UP and supervisor.state.address != first)
    restarting = [s for s in states if s.phase is Phase.RESTARTING]
    assert str(restarting[0]).startswith("Tunnel restarting — cloudflared exited (code -9)")
    assert await get_health(supervisor.state.address) == 200


async def test_stop_ends_the_tool(fake_tunnels, supervised, receiver):
    supervisor, _ = supervised("cloudflared", receiver)
    await eventually(lambda: supervisor.state.phase is Phase.UP)
    address = supervisor.state.address
    await supervisor.stop()
    assert supervisor.state.phase is Phase.STOPPED
    with pytest.raises(aiohttp.ClientConnectionError):
        await get_health(address)


async def test_a_missing_tool_is_named_and_not_retried(fake_tunnels, supervised, receiver, tmp_path):
    supervisor, states = supervised("cloudflared", receiver, str(tmp_path / "nowhere"))
    await eventually(lambda: supervisor.state.phase is Phase.FAILED)
    assert str(supervisor.state) == (
        f"No tunnel — cloudflared was not found at tunnel_path {tmp_path / 'nowhere'}: install it, "
        "or set tunnel_path to where it is; the receiver works on this computer only"
    )
    assert [s.phase for s in states] == [Phase.STARTING, Phase.FAILED]


async def test_tunnel_path_may_name_the_folder_of_the_tool(fake_tunnels, supervised, receiver, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    supervisor, _ = supervised("cloudflared", receiver, str(fake_tunnels.bin))
    await eventually(lambda: supervisor.state.phase is Phase.UP, what=lambda: str(supervisor.state))


@pytest.mark.parametrize(
    ("tool", "said"),
    [
        ("cloudflared", "failed to request quick Tunnel"),
        ("ngrok", "authentication failed: Usage of ngrok requires a verified account and authtoken."),
    ],
)
async def test_a_tool_that_exits_at_once_says_why_and_is_tried_again(
    fake_tunnels, supervised, receiver, monkeypatch, tool, said
):
    monkeypatch.setenv("FAKE_TUNNEL_FAIL", "1")
    supervisor, states = supervised(tool, receiver)
    await eventually(lambda: len(fake_tunnels.runs(tool)) >= 2)
    restarting = next(s for s in states if s.phase is Phase.RESTARTING)
    assert str(restarting).startswith(
        f"Tunnel restarting — {tool} exited (code 1) before giving an address: "
    )
    assert said in restarting.reason


async def test_tailscale_funnels_the_port_and_turns_it_off_on_stop(fake_tunnels, supervised, receiver):
    supervisor, _ = supervised("tailscale", receiver)
    await eventually(lambda: supervisor.state.phase is Phase.UP)
    assert supervisor.state.address == "https://desk.tail1234.ts.net"
    await supervisor.stop()
    port = receiver.rsplit(":", 1)[1]
    assert fake_tunnels.runs("tailscale") == [
        ["funnel", "--bg", port],
        ["status", "--json"],
        ["funnel", "--https=443", "off"],
    ]


async def test_tailscale_without_its_daemon_says_so(fake_tunnels, supervised, receiver, monkeypatch):
    monkeypatch.setenv("FAKE_TUNNEL_FAIL", "1")
    supervisor, _ = supervised("tailscale", receiver)
    await eventually(lambda: supervisor.state.phase is Phase.RESTARTING)
    assert supervisor.state.reason.startswith(
        "tailscale funnel failed (code 1): failed to connect to local tailscaled"
    )
