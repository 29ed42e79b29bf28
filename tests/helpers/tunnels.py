"""The fake tunnel programs (``tests/fake_tunnels/``) put on PATH under the real tools' names."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

FAKE = Path(__file__).parent.parent / "fake_tunnels" / "fake_tunnel.py"
TOOLS = ("cloudflared", "ngrok", "tailscale")


class FakeTunnels:
    """``bin``: a folder with ``cloudflared``, ``ngrok`` and ``tailscale`` that run the fake."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.state = root / "state"
        self.bin.mkdir(parents=True)
        self.state.mkdir()
        for tool in TOOLS:
            program = self.bin / tool
            program.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" {tool} "$@"\n')
            program.chmod(0o755)

    def env(self) -> dict[str, str]:
        """What a process needs to find the fakes first."""
        return {"PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "FAKE_TUNNEL_DIR": str(self.state)}

    def pid(self, tool: str) -> int:
        return int((self.state / f"{tool}.pid").read_text())

    def kill(self, tool: str) -> None:
        """End the tool as a crash or a lost connection would."""
        os.kill(self.pid(tool), signal.SIGKILL)

    def runs(self, tool: str) -> list[list[str]]:
        """Each command line the tool was started with, in order."""
        path = self.state / f"{tool}.argv"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def settled(messages: list[str]) -> bool:
    """Whether the delivery test after the tunnel's latest address has run (the test of an address
    that changed again before it finished never runs)."""
    reachable = [i for i, message in enumerate(messages) if message.startswith("Reachable at")]
    return bool(reachable) and any(m.startswith("Test delivery") for m in messages[reachable[-1] :])
