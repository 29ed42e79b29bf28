"""The hubs' users in a JetStream KV bucket (``hub --broker``): one list for every hub.

Each user is one key, its token's key id, holding the user and the SHA-256 of
the token (never the token). A user's id is the bucket revision that created
it: unique and increasing across the cluster with no counter to keep. Every
hub watches the bucket and keeps it in memory, so a token is checked without a
round trip, and a removal (``hub remove-user --broker …`` anywhere) reaches
every hub at once: each closes that user's connections as it hears of it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from intulse_desktop.hub.broker import BROKER_ERRORS, USERS_BUCKET, BrokerError, retrying
from intulse_desktop.hub.protocol import key_id_of
from intulse_desktop.hub.users import ALL, NO_HASH, NewUser, User, token_hash

log = logging.getLogger(__name__)


async def bucket(js: JetStreamContext, replicas: int) -> KeyValue:
    """The users' bucket, made on first use."""

    async def open_or_make() -> KeyValue:
        try:
            return await js.key_value(USERS_BUCKET)
        except nats.js.errors.BucketNotFoundError:
            config = KeyValueConfig(bucket=USERS_BUCKET, replicas=replicas, storage=StorageType.FILE)
            return await js.create_key_value(config)

    kv: KeyValue = await retrying(open_or_make, 30.0, "open the users' bucket")
    return kv


def _record(user: User, token_digest: bytes) -> bytes:
    return json.dumps(
        user.describe() | {"token_sha256": token_digest.hex(), "created": user.created_utc}
    ).encode()


def _user(revision: int, value: bytes) -> tuple[User, bytes]:
    data = json.loads(value)
    presence = data.get("presence") or []
    user = User(
        revision,
        str(data["extension"]),
        data.get("user_id"),
        tuple(data.get("numbers") or ()),
        str(data.get("name") or ""),
        ALL if presence == ALL else tuple(presence),
        str(data.get("created") or ""),
        bool(data.get("presence_lines", True)),
    )
    return user, bytes.fromhex(data["token_sha256"])


class KvUsers:
    """``users.Directory`` over the bucket, mirrored in memory by a watcher; also the commands' side."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv
        self._users: dict[str, tuple[User, bytes]] = {}  # key id → user, token hash
        self._changed = asyncio.Event()
        self._watching: asyncio.Task[None] | None = None

    # --- the hub's side ------------------------------------------------------------------

    async def start(self) -> None:
        """Load every user, then follow changes."""
        watcher = await self._kv.watchall()
        loaded = asyncio.Event()

        async def follow() -> None:
            async for entry in watcher:
                if entry is None:  # the initial values are all in
                    loaded.set()
                    continue
                if entry.operation in ("DEL", "PURGE") or entry.value is None:
                    self._users.pop(entry.key, None)
                else:
                    try:
                        self._users[entry.key] = _user(entry.revision or 0, entry.value)
                    except (ValueError, KeyError, TypeError) as exc:
                        log.error("hub user %s cannot be read (%s); that token will not work", entry.key, exc)
                self._changed.set()

        self._watching = asyncio.get_running_loop().create_task(follow(), name="watch the hubs' users")
        await loaded.wait()

    async def close(self) -> None:
        if self._watching is not None:
            self._watching.cancel()
            await asyncio.gather(self._watching, return_exceptions=True)
            self._watching = None

    def authenticate(self, token: str) -> User | None:
        key_id = key_id_of(token)
        found = self._users.get(key_id or "")
        ok = hmac.compare_digest(token_hash(token), found[1] if found else NO_HASH)
        return found[0] if ok and found and key_id is not None else None

    def ids(self) -> set[int]:
        return {user.id for user, _ in self._users.values()}

    def all(self) -> list[User]:
        return sorted((user for user, _ in self._users.values()), key=lambda user: user.id)

    async def wait_changed(self) -> None:
        await self._changed.wait()
        self._changed.clear()

    # --- the commands' side (hub add-user/list-users/remove-user --broker) ------------------

    async def add(self, new: NewUser) -> User:
        """Add a user made by ``users.new_user``; every hub hears of it."""
        value = _record(new.user, token_hash(new.token))
        revision = await retrying(lambda: self._kv.create(new.key_id, value), 10.0, "add the user")
        return _user(revision, value)[0]

    async def load(self) -> list[User]:
        """Every user, read from the bucket (a command has no watcher)."""
        users: list[User] = []
        try:
            keys = await self._kv.keys()
        except nats.js.errors.NoKeysError:
            return []
        except BROKER_ERRORS as exc:
            raise BrokerError(f"cannot list the hub's users in NATS: {exc}") from None
        for key in keys:
            entry = await self._kv.get(key)
            if entry.value:
                user, digest = _user(entry.revision or 0, entry.value)
                self._users[key] = (user, digest)
                users.append(user)
        return sorted(users, key=lambda user: user.id)

    async def remove(self, ids: set[int]) -> int:
        """Remove users by id; every hub closes their connections as it hears of it."""
        keys = [key for key, (user, _) in self._users.items() if user.id in ids]
        for key in keys:
            await retrying(lambda key=key: self._kv.purge(key), 10.0, "remove the user")
        return len(keys)
