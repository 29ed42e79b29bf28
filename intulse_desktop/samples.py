"""Sample payloads shaped like Intulse's, for trying a set-up end to end.

Each call gets a fresh id and the current time, so a sample is stored as new
and pops up like a real call would.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

from intulse_desktop.events import EVENT_TYPES

TEST_CALLER = "Intulse Desktop test"
TEST_NUMBER = "+13175550142"


def sample(event_type: str, extension: str | None = None, to: str | None = None) -> dict[str, Any]:
    """``extension`` and ``to`` default to made-up ones when none (or "") is given."""
    extension = extension or "204"
    to = to or "+13175550100"
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}; expected one of {', '.join(EVENT_TYPES)}")
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    call_id = f"{time.time():.4f}-test-{secrets.token_hex(3)}"
    call = {
        "ClientId": 0,
        "UserId": None,
        "UserDisplayName": "",
        "Extension": extension,
        "Id": call_id,
        "LinkedId": call_id,
        "StartUtc": now,
        "Direction": "Inbound",
        "RemotePartyName": TEST_CALLER,
        "RemotePartyNumber": TEST_NUMBER,
    }
    if event_type == "CallStarted":
        return call
    if event_type == "CallCompleted":
        return call | {"AnswertUtc": None, "DurationInSeconds": None, "Recording": None}
    if event_type == "ExtensionUpdated":
        return {
            "Extension": extension,
            "Status": "RINGING",
            "ConnectedLineName": TEST_CALLER,
            "ConnectedLineNumber": TEST_NUMBER,
        }
    return {
        "Id": int(time.time() * 1000) * 1000 + secrets.randbelow(1000),
        "From": TEST_NUMBER,
        "To": to,
        "Body": "This is a test message from Intulse Desktop.",
        "Attachments": [],
        "CreatedUtc": now,
    }
