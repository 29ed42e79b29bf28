"""The running tunnel's state, in a small file of the data folder, for ``webhook-url`` to read.

Written at each change by the app that runs the tunnel and removed when it
stops; a file left by an app that died is recognised by its process id.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from intulse_desktop.atomic import write_atomic
from intulse_desktop.tunnel.supervisor import Phase, TunnelState


@dataclass(frozen=True)
class Published:
    tool: str
    phase: str
    address: str | None
    said: str  # the state in words, as the tray says it


def publish(path: Path, state: TunnelState) -> None:
    record = {
        "tool": state.tool,
        "phase": str(state.phase),
        "address": state.address if state.phase is Phase.UP else None,
        "said": str(state),
        "pid": os.getpid(),
    }
    write_atomic(path, json.dumps(record, indent=2))


def unpublish(path: Path) -> None:
    path.unlink(missing_ok=True)


def published(path: Path) -> Published | None:
    """The tunnel of a running app, or None when there is none (or its app is gone)."""
    try:
        data = json.loads(path.read_text("utf-8"))
        pid, address = data["pid"], data["address"]
        record = Published(str(data["tool"]), str(data["phase"]), address, str(data["said"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(pid, int) or not (address is None or isinstance(address, str)) or not _alive(pid):
        return None
    return record


def _alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would end it there; the app removes the file on exit
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
