"""The office hub's users: who may connect, and which events each one receives.

They live in a small SQLite file of their own beside the call log
(``Paths.hub_users``), not in the log itself: ``hub add-user`` and
``hub remove-user`` run as separate processes while the hub runs, and the log
keeps exactly one writer (a command holding the log's write lock would stall
the hub's event loop). The hub only reads this file; ``changed()`` tells it
cheaply that a command wrote to it.

A token (``protocol.new_token``) is ``ihub_<key id>.<secret>``: the key id
finds the row, and the SHA-256 of the whole token is compared in constant time with the stored hash.
Only the hash is kept, so a token is shown once, when it is made. A fast hash
is enough: the secret is 256 random bits, so there is nothing to brute-force.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from intulse_desktop.hub.protocol import key_id_of, new_token
from intulse_desktop.matching import Matcher
from intulse_desktop.settings import Settings, SettingsError
from intulse_desktop.store import now_utc, to_db_time

ALL = "all"  # sees the presence of every extension
POLL_SECONDS = 0.5  # a removed user's connections close within this
NO_HASH = hashlib.sha256(b"no such key").digest()  # compared against when the key id is unknown

SCHEMA = [
    # 1: the first schema
    """
    CREATE TABLE users (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        key_id      TEXT NOT NULL UNIQUE,
        token_hash  BLOB NOT NULL,
        extension   TEXT NOT NULL,
        user_id     INTEGER,
        numbers     TEXT NOT NULL,
        name        TEXT NOT NULL,
        presence    TEXT NOT NULL,
        created_utc TEXT NOT NULL
    )
    """,
    # 2: whether others' presence is sent with the line they are connected to, or as state alone
    "ALTER TABLE users ADD COLUMN presence_lines INTEGER NOT NULL DEFAULT 1",
]
_COLUMNS = "id, extension, user_id, numbers, name, presence, created_utc, presence_lines"


class UsersError(ValueError):
    """A user that cannot be added or found; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    extension: str
    user_id: int | None
    numbers: tuple[str, ...]  # E.164
    name: str
    presence: tuple[str, ...] | str  # extensions whose presence this user sees besides their own, or ALL
    created_utc: str
    presence_lines: bool = True  # others' presence with ConnectedLineName/Number, or their state alone

    def matcher(self, region: str) -> Matcher:
        return Matcher.create(self.extension, self.user_id, self.numbers, region)

    def sees_presence_of(self, extension: str) -> bool:
        extension = extension.strip()
        return extension == self.extension or self.presence == ALL or extension in self.presence

    def describe(self) -> dict[str, object]:
        return {
            "id": self.id,
            "extension": self.extension,
            "user_id": self.user_id,
            "numbers": list(self.numbers),
            "name": self.name,
            "presence": self.presence if self.presence == ALL else list(self.presence),
            "presence_lines": self.presence_lines,
        }


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def parse_presence(text: str) -> tuple[str, ...] | str:
    """``all``, or comma-separated extensions (empty: only the user's own)."""
    if text.strip().lower() == ALL:
        return ALL
    extensions = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    for extension in extensions:
        check_identity(extension=extension)
    return extensions


def check_identity(**values: object) -> Settings:
    """A hub user is who a desktop's settings say it is: the same rules apply."""
    try:
        return Settings.model_validate({}).with_values(values)
    except SettingsError as exc:
        raise UsersError(str(exc)) from None


@dataclass(frozen=True)
class NewUser:
    """A user about to be added (its ``id`` is given by where it is stored), with its new token."""

    user: User
    token: str
    key_id: str


def new_user(
    extension: str,
    numbers: Sequence[str] = (),
    *,
    user_id: int | None = None,
    name: str = "",
    presence: tuple[str, ...] | str = (),
    presence_lines: bool = True,
    region: str = "US",
) -> NewUser:
    """A user checked by the rules of a desktop's own settings, and a token for it."""
    identity = check_identity(
        extension=extension, my_numbers=list(numbers), user_id=user_id, default_region=region
    )
    if not identity.extension:
        raise UsersError("a hub user needs an extension")
    token, key_id = new_token()
    user = User(
        0,
        identity.extension,
        identity.user_id,
        tuple(identity.my_numbers),
        name.strip(),
        presence,
        to_db_time(now_utc()),
        presence_lines,
    )
    return NewUser(user, token, key_id)


class Directory(Protocol):
    """What the hub asks of its users, wherever they live (this file, or a broker's KV bucket)."""

    def authenticate(self, token: str) -> User | None: ...

    def ids(self) -> set[int]: ...

    def all(self) -> list[User]: ...

    async def wait_changed(self) -> None:
        """Return when the users may have changed (one was removed: close its connections)."""
        ...


class Users:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise UsersError(f"cannot open the hub's users {path}: {exc}") from None
        self._version = self._data_version()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(SCHEMA):
                raise UsersError(f"{self.path} was written by a newer Intulse Desktop (schema {version})")
            for number, script in enumerate(SCHEMA[version:], start=version + 1):
                self._db.execute(script)
                self._db.execute(f"PRAGMA user_version = {number}")

    # --- commands ------------------------------------------------------------------------

    def add(self, extension: str, numbers: Sequence[str] = (), **options: Any) -> tuple[User, str]:
        """Add a user made by ``new_user`` (``options`` are its); returns it and its token (shown once:
        only its hash is kept)."""
        new = new_user(extension, numbers, **options)
        return self.insert(new), new.token

    def insert(self, new: NewUser) -> User:
        """Add a user made by ``new_user``."""
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO users (key_id, token_hash, extension, user_id, numbers, name, presence, "
                "created_utc, presence_lines) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.key_id,
                    token_hash(new.token),
                    new.user.extension,
                    new.user.user_id,
                    ",".join(new.user.numbers),
                    new.user.name,
                    new.user.presence if new.user.presence == ALL else ",".join(new.user.presence),
                    new.user.created_utc,
                    new.user.presence_lines,
                ),
            )
        assert cursor.lastrowid is not None
        user = self.get(cursor.lastrowid)
        assert user is not None
        return user

    def remove(self, ids: Iterable[int]) -> int:
        """Remove users by id; their tokens stop working at once. Returns how many went."""
        with self._transaction():
            return sum(self._db.execute("DELETE FROM users WHERE id = ?", (i,)).rowcount for i in ids)

    # --- queries -------------------------------------------------------------------------

    def all(self) -> list[User]:
        return [_user(row) for row in self._db.execute(f"SELECT {_COLUMNS} FROM users ORDER BY id")]

    def get(self, user: int) -> User | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user,)).fetchone()
        return None if row is None else _user(row)

    def with_extension(self, extension: str) -> list[User]:
        return [
            _user(row)
            for row in self._db.execute(
                f"SELECT {_COLUMNS} FROM users WHERE extension = ? ORDER BY id", (extension.strip(),)
            )
        ]

    def ids(self) -> set[int]:
        return {row[0] for row in self._db.execute("SELECT id FROM users")}

    def authenticate(self, token: str) -> User | None:
        """The user this token belongs to, or None; the same work whether the key id exists or not."""
        key_id = key_id_of(token)
        row = self._db.execute(
            f"SELECT token_hash, {_COLUMNS} FROM users WHERE key_id = ?", (key_id or "",)
        ).fetchone()
        ok = hmac.compare_digest(token_hash(token), row[0] if row else NO_HASH)
        return _user(row[1:]) if ok and row and key_id is not None else None

    def changed(self) -> bool:
        """Did another process change the users since the last call? (cheap: no query of the table)"""
        version = self._data_version()
        changed, self._version = version != self._version, version
        return changed

    async def wait_changed(self) -> None:
        """Return once another process changed the users; a poll costs no query of the table."""
        while not self.changed():
            await asyncio.sleep(POLL_SECONDS)

    def _data_version(self) -> int:
        version: int = self._db.execute("PRAGMA data_version").fetchone()[0]
        return version


def _user(row: Sequence[object]) -> User:
    id_, extension, user_id, numbers, name, presence, created, presence_lines = row
    return User(
        id_,  # type: ignore[arg-type]
        extension,  # type: ignore[arg-type]
        user_id,  # type: ignore[arg-type]
        tuple(n for n in str(numbers).split(",") if n),
        name,  # type: ignore[arg-type]
        ALL if presence == ALL else tuple(p for p in str(presence).split(",") if p),
        created,  # type: ignore[arg-type]
        bool(presence_lines),
    )
