"""A stand-in for cloudflared, ngrok and tailscale: ``fake_tunnel.py TOOL ARGS…``.

It prints what the real tool prints, in the same place (stderr for cloudflared,
stdout for ngrok, the same lines and JSON), and really forwards: a small TCP
proxy on another loopback port plays the public side. One deviation, on
purpose: where the real tool prints its https:// name (``https://….trycloudflare.com``,
``https://….ngrok-free.app``), the fake prints its proxy's ``http://127.0.0.1:PORT``,
so the app's use of the address it read can be tested without DNS or TLS.

``FAKE_TUNNEL_DIR``: the folder where it writes ``TOOL.pid`` (the running one)
and appends each command line to ``TOOL.argv`` (JSON lines). With
``FAKE_TUNNEL_FAIL`` set it prints the tool's error for no network and exits 1.
Standard library only: it runs with the tests' Python, as the real tools run
without the app's.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

STATE = Path(os.environ.get("FAKE_TUNNEL_DIR", "."))
FAIL = bool(os.environ.get("FAKE_TUNNEL_FAIL"))


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def forward_to(host: str, port: int) -> int:
    """Listen on a free loopback port and forward every connection to ``host:port``; the port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return int(server.sockets[0].getsockname()[1])


def cloudflared_banner(url: str, target: str) -> list[str]:
    """cloudflared 2024.x's quick-tunnel log, up to the first connection, as it prints it."""
    created = "Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):"
    width = len(created) + 4
    return [
        "Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way "
        "to experiment and try it out. However, be aware that these account-less Tunnels have no uptime "
        "guarantee, are subject to the Cloudflare Online Services Terms of Use "
        "(https://www.cloudflare.com/website-terms/), and Cloudflare reserves the right to investigate "
        "your use of Tunnels for violations of such terms. If you intend to use Tunnels in production you "
        "should use a pre-created named tunnel by following: "
        "https://developers.cloudflare.com/cloudflare-one/connections/connect-apps",
        "Requesting new quick Tunnel on trycloudflare.com...",
        "+" + "-" * width + "+",
        "|  " + created.ljust(width - 2) + "|",
        "|  " + url.ljust(width - 2) + "|",
        "+" + "-" * width + "+",
        "Cannot determine default configuration path. No file [config.yml config.yaml] in "
        "[~/.cloudflared ~/.cloudflare-warp ~/cloudflare-warp /etc/cloudflared /usr/local/etc/cloudflared]",
        "Version 2024.11.1",
        "GOOS: linux, GOVersion: go1.22.5, GoArch: amd64",
        f"Settings: map[ha-connections:1 no-autoupdate:true protocol:quic url:{target}]",
        "Generated Connector ID: 4c1f5a2e-8d3b-4f6a-9e7c-2b1d0a9f8e7d",
        "Initial protocol quic",
        "Starting metrics server on 127.0.0.1:20241/metrics",
        "Registered tunnel connection connIndex=0 connection=9d2e7c1a-5b4f-4e3d-8a6c-1f0e9d8c7b6a "
        "event=0 ip=198.41.200.13 location=ams01 protocol=quic",
    ]


def ngrok_log(url: str, target: str) -> list[dict[str, object]]:
    """ngrok 3.x's ``--log stdout --log-format json`` up to the started tunnel."""
    t = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return [
        {"lvl": "info", "msg": "no configuration paths supplied", "t": t},
        {"lvl": "info", "msg": "using configuration at default config path", "path": "ngrok.yml", "t": t},
        {"lvl": "info", "msg": "open config file", "path": "ngrok.yml", "err": None, "t": t},
        {"addr": "127.0.0.1:4040", "lvl": "info", "msg": "starting web service", "obj": "web", "t": t},
        {"lvl": "info", "msg": "client session established", "obj": "tunnels.session", "t": t},
        {"lvl": "info", "msg": "tunnel session started", "obj": "tunnels.session", "t": t},
        {
            "addr": target,
            "lvl": "info",
            "msg": "started tunnel",
            "name": "command_line",
            "obj": "tunnels",
            "t": t,
            "url": url,
        },
    ]


async def cloudflared(args: list[str]) -> int:
    target = args[args.index("--url") + 1]
    if FAIL:
        print(f"{now()} INF Requesting new quick Tunnel on trycloudflare.com...", file=sys.stderr)
        print(
            f'{now()} ERR failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": '
            "dial tcp: lookup api.trycloudflare.com: no such host",
            file=sys.stderr,
            flush=True,
        )
        return 1
    parts = urlsplit(target)
    port = await forward_to(parts.hostname or "127.0.0.1", parts.port or 80)
    for line in cloudflared_banner(f"http://127.0.0.1:{port}", target):
        print(f"{now()} INF {line}", file=sys.stderr, flush=True)
    await asyncio.Event().wait()
    return 0


async def ngrok(args: list[str]) -> int:
    target = args[1]
    if FAIL:
        error = {
            "err": "authentication failed: Usage of ngrok requires a verified account and authtoken.",
            "lvl": "eror",
            "msg": "failed to reconnect session",
            "obj": "tunnels.session",
            "t": now(),
        }
        print(json.dumps(error, separators=(",", ":")), flush=True)
        return 1
    parts = urlsplit(target if "://" in target else f"http://{target}")
    port = await forward_to(parts.hostname or "127.0.0.1", parts.port or 80)
    for record in ngrok_log(f"http://127.0.0.1:{port}", target):
        print(json.dumps(record, separators=(",", ":")), flush=True)
    await asyncio.Event().wait()
    return 0


TAILSCALE_STATUS = {
    "Version": "1.76.6-t1234567-g89abcdef",
    "BackendState": "Running",
    "Self": {
        "ID": "nABCDEF1CNTRL",
        "HostName": "desk",
        "DNSName": "desk.tail1234.ts.net.",
        "TailscaleIPs": ["100.101.102.103", "fd7a:115c:a1e0::1"],
        "Online": True,
    },
    "MagicDNSSuffix": "tail1234.ts.net",
    "CurrentTailnet": {"Name": "example.com", "MagicDNSSuffix": "tail1234.ts.net", "MagicDNSEnabled": True},
}


async def tailscale(args: list[str]) -> int:
    if FAIL:
        print("failed to connect to local tailscaled; it doesn't appear to be running", file=sys.stderr)
        return 1
    if args[:1] == ["status"]:
        print(json.dumps(TAILSCALE_STATUS, indent=2))
    elif args[:2] == ["funnel", "--bg"]:
        print(
            "Available on the internet:\n\nhttps://desk.tail1234.ts.net/\n"
            f"|-- proxy http://127.0.0.1:{args[2]}\n\n"
            "Funnel started and running in the background.\n"
            "To disable the proxy, run: tailscale funnel --https=443 off"
        )
    return 0


async def main(tool: str, args: list[str]) -> int:
    with (STATE / f"{tool}.argv").open("a") as log:
        log.write(json.dumps(args) + "\n")
    (STATE / f"{tool}.pid").write_text(str(os.getpid()))
    return await {"cloudflared": cloudflared, "ngrok": ngrok, "tailscale": tailscale}[tool](args)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2:])))
