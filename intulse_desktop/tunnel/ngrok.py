"""ngrok: ``ngrok http URL --log stdout --log-format json``; needs an ngrok account's authtoken.

Its log is one JSON object a line; the tunnel's address is the ``url`` of the
line whose ``msg`` is "started tunnel"::

    {"addr":"http://127.0.0.1:8765","lvl":"info","msg":"started tunnel","name":"command_line",
     "obj":"tunnels","t":"2026-12-04T14:00:01.123Z","url":"https://1a2b-3c4d.ngrok-free.app"}

An error line has ``lvl`` "eror" or "crit" and the reason in ``err``.
"""

from __future__ import annotations

import json
from typing import Any

from intulse_desktop.tunnel.tools import Opened, ProcessTunnel, Tool


def _record(line: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def address_in(line: str) -> str | None:
    record = _record(line)
    url = record.get("url")
    if (
        record.get("msg") == "started tunnel"
        and isinstance(url, str)
        and url.startswith(("https://", "http://"))
    ):
        return url.rstrip("/")
    return None


def reason_in(line: str) -> str | None:
    record = _record(line)
    if not record:
        return line  # not JSON: ngrok's own usage message, say
    if record.get("lvl") in ("eror", "crit", "error"):
        return str(record.get("err") or record.get("msg") or line)
    return None


class Ngrok(Tool):
    name = "ngrok"

    async def open(self, executable: str, target: str) -> Opened:
        argv = [executable, "http", target, "--log", "stdout", "--log-format", "json"]
        tunnel = await ProcessTunnel.start(self.name, argv, output="stdout", summary=reason_in)
        await tunnel.read_address(address_in)
        return tunnel
