"""What the hub and its desktops both speak: the stream's address, its messages, the cursor, the token.

A desktop opens ``STREAM_PATH`` as a WebSocket with ``Authorization: Bearer
<token>`` and, when it has one, its cursor (``since`` in ``journal``). The hub
answers with JSON text frames: one ``hello``, then ``event``s, one
``caught_up`` where catching up ends and live begins, and now and then a
``position``. Close code ``CLOSE_REVOKED`` means the token was revoked: do not
reconnect. docs/hub.md ("The stream, for the curious") is the contract.

A token is ``ihub_<key id>.<secret>``: the key id finds the user, the secret
is 256 random bits.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

STREAM_PATH = "/hub/v1/stream"
CLOSE_REVOKED = 4001  # the hub closes a removed user's connections with this code
HEARTBEAT_SECONDS = 30.0  # both sides ping; a peer that stopped answering is given up on within ~1.5x this

HELLO = "hello"
EVENT = "event"
CAUGHT_UP = "caught_up"
POSITION = "position"

TOKEN_PREFIX = "ihub_"
_TOKEN = re.compile(r"ihub_([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})")
_MAX_SEQ_DIGITS = 18  # fits SQLite's integer


# --- messages, hub to desktop ------------------------------------------------------------


def hello_message(journal: str, start: int, head: int, gap: bool, user: dict[str, object]) -> str:
    """The first frame: whose numbers these are, where the stream starts (after ``start``), who you are."""
    return json.dumps(
        {"type": HELLO, "journal": journal, "from": start, "head": head, "gap": gap, "user": user}
    )


def event_message(seq: int, event_type: str, received: datetime, payload: str) -> str:
    """``payload`` is already JSON (as the journal keeps it), so it is spliced in, not parsed again."""
    return (
        f'{{"type":"{EVENT}","seq":{seq},"event_type":{json.dumps(event_type)},'
        f'"received":"{received.isoformat()}","event":{payload}}}'
    )


def caught_up_message(seq: int) -> str:
    """Everything up to ``seq`` was sent; what follows is live."""
    return f'{{"type":"{CAUGHT_UP}","seq":{seq}}}'


def position_message(seq: int) -> str:
    """Nothing more up to ``seq`` is this desktop's."""
    return f'{{"type":"{POSITION}","seq":{seq}}}'


@dataclass(frozen=True)
class Hello:
    journal: str
    start: int  # the stream starts after this sequence number
    gap: bool  # the journal no longer reaches back to the desktop's cursor
    user: dict[str, Any]  # who the hub says this desktop is


def parse_hello(hello: Mapping[str, Any]) -> Hello:
    """A hello frame's fields; ValueError if it lacks them."""
    try:
        journal, start, gap = str(hello["journal"]), int(hello["from"]), bool(hello.get("gap"))
    except (KeyError, ValueError, TypeError):
        raise ValueError("the hub's hello is not understood") from None
    user = hello.get("user")
    return Hello(journal, start, gap, dict(user) if isinstance(user, dict) else {})


# --- the cursor: where a desktop resumes -------------------------------------------------


def resume_query(journal: str | None, seq: int) -> dict[str, str]:
    """The stream's query for a desktop that has everything up to ``seq`` of ``journal`` (if any)."""
    return {"since": str(seq), "journal": journal} if journal else {}


def parse_resume(query: Mapping[str, str]) -> tuple[int | None, str | None]:
    """``since`` (a sequence number) and ``journal`` (whose numbers they are), if given."""
    since = query.get("since")
    journal = query.get("journal")
    if since is None:
        return None, journal
    if not since.isdigit() or len(since) > _MAX_SEQ_DIGITS:
        raise ValueError("since must be a sequence number (0 or more)")
    return int(since), journal


# --- the token ---------------------------------------------------------------------------


def new_token() -> tuple[str, str]:
    """A new token and its key id."""
    key_id = secrets.token_urlsafe(9)
    return f"{TOKEN_PREFIX}{key_id}.{secrets.token_urlsafe(32)}", key_id


def looks_like_token(text: str) -> bool:
    return _TOKEN.fullmatch(text) is not None


def key_id_of(token: str) -> str | None:
    """The key id of a well-formed token, else None."""
    match = _TOKEN.fullmatch(token)
    return match.group(1) if match else None


def authorization(token: str) -> str:
    """The ``Authorization`` header a desktop sends."""
    return f"Bearer {token}"


def bearer_token(header: str) -> str | None:
    """The token in an ``Authorization`` header, if it is a bearer one."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
