"""Syncing the CardDAV address book into the contacts: once (``contacts sync``), or on a timer.

Read-only: nothing is ever written to the server. Incremental: only what changed since
the last sync-token (or whose ETag changed) is fetched. A failure leaves the contacts
as they were, is logged and kept for the UI to show (``ContactsSync.error``), and the
next sync tries again: it is never fatal.

Every store access goes through ``apply`` (the writer's ``run`` in the app, a transaction
of its own in a command), in batches, so a first sync of thousands of cards never holds
the log for long; the sync-token is saved with the last batch, so a sync cut short is
simply done again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import aiohttp

from intulse_desktop.contacts.carddav import CardDavClient, CardDavError, SyncTokenExpired
from intulse_desktop.contacts.fields import ContactFileError
from intulse_desktop.contacts.vcard import read_vcards
from intulse_desktop.settings import Settings
from intulse_desktop.store.facade import Store
from intulse_desktop.store.rows import ContactChanges, NewContact, now_utc

log = logging.getLogger(__name__)

T = TypeVar("T")
Apply = Callable[[Callable[[Store], T]], Awaitable[T]]
SOURCE = "carddav"
BATCH = 500


class NotConfigured(CardDavError):
    """No address book to sync: the message says how to set one."""


@dataclass(frozen=True)
class SyncResult:
    changes: ContactChanges
    how: str  # "sync-token" or "etags"
    unreadable: int = 0  # cards that could not be read, left as they were

    def describe(self) -> str:
        c = self.changes
        text = f"{c.added} added, {c.updated} updated, {c.removed} removed (by {self.how})"
        return text + (f"; {self.unreadable} card(s) could not be read" if self.unreadable else "")


async def sync_address_book(client: CardDavClient, apply: Apply[Any]) -> SyncResult:
    """Bring the contacts from ``client``'s address book up to date with it."""
    book = client.url
    token: str = await apply(lambda store: store.sync_token(book))
    try:
        reported = await client.changes_since(token)
    except SyncTokenExpired:
        token = ""
        reported = await client.changes_since(token)
    local: dict[str, str] = await apply(lambda store: store.contact_etags(SOURCE))
    if reported is None:
        remote, deleted, new_token, how = await client.etags(), set(), "", "etags"
        deleted = set(local) - set(remote)
    else:
        remote, deleted, new_token, how = (
            reported.changed,
            set(reported.deleted),
            reported.token,
            "sync-token",
        )
        if not token:  # everything was listed: what is not is gone (or from another book)
            deleted |= set(local) - set(remote)
    contacts, unreadable = [], 0
    for card in await client.cards(url for url, etag in remote.items() if not etag or local.get(url) != etag):
        try:
            found = list(read_vcards(card.text, etag=card.etag, uid=card.url))
        except ContactFileError as exc:
            log.warning("contacts: cannot read the card %s: %s", card.url, exc)
            unreadable += 1
            continue
        for item in found:
            if isinstance(item, NewContact):
                contacts.append(item)
            elif card.url in local:
                deleted.add(card.url)  # its last number was removed: it names no caller now
    added = updated = unchanged = 0
    for start in range(0, len(contacts), BATCH):
        done: ContactChanges = await apply(_upsert(contacts[start : start + BATCH]))
        added, updated, unchanged = added + done.added, updated + done.updated, unchanged + done.unchanged
    removed: int = await apply(lambda store: _finish(store, book, deleted, new_token))
    return SyncResult(ContactChanges(added, updated, unchanged, removed), how, unreadable)


def _upsert(batch: list[NewContact]) -> Callable[[Store], ContactChanges]:
    return lambda store: store.upsert_contacts(SOURCE, batch)


def _finish(store: Store, book: str, deleted: set[str], token: str) -> int:
    removed = store.remove_synced(SOURCE, sorted(deleted))
    store.set_sync_token(book, token)
    return removed


class ContactsSync:
    """Syncs the configured address book every ``carddav_sync_minutes``, and when asked.

    ``last``, ``error`` and ``at`` say how the latest sync went, for the UI and the log;
    ``on_synced`` hears of each sync that changed the contacts (the GUI reads names again).
    """

    def __init__(
        self, settings: Callable[[], Settings], password: Callable[[], str | None], apply: Apply[Any]
    ) -> None:
        self._settings = settings
        self._password = password
        self._apply = apply
        self._wake = asyncio.Event()
        self.last: SyncResult | None = None
        self.error: str | None = None
        self.at: datetime | None = None
        self.on_synced: Callable[[SyncResult], None] | None = None
        self._waiting: list[asyncio.Future[SyncResult]] = []

    async def sync(self) -> SyncResult:
        """Sync now; raises ``NotConfigured`` or ``CardDavError`` (``StoreError`` if the log fails)."""
        settings = self._settings()
        if not settings.carddav_url:
            raise NotConfigured(
                "no CardDAV address book is set: `config set carddav_url URL`, `config set carddav_user "
                "NAME`, then `contacts set-password`"
            )
        password = self._password() or ""
        if settings.carddav_user and not password:
            raise NotConfigured(
                "no app password is stored for the CardDAV address book: `contacts set-password`"
            )
        async with aiohttp.ClientSession() as session:
            client = CardDavClient(session, settings.carddav_url, settings.carddav_user, password)
            return await sync_address_book(client, self._apply)

    async def sync_now(self) -> SyncResult:
        """Have ``keep_synced`` sync at once, and return how that went (or raise as ``sync``).
        One under way is not the answer: it may have begun with the settings before."""
        waiter: asyncio.Future[SyncResult] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self.sync_soon()
        return await waiter

    def sync_soon(self) -> None:
        """Sync at once in ``keep_synced`` (after the settings changed, or from a button)."""
        self._wake.set()

    async def keep_synced(self) -> None:
        """Run until cancelled: a sync now and then every ``carddav_sync_minutes`` while an address
        book is configured. Failures are logged and kept in ``error``, never raised."""
        while True:
            self._wake.clear()
            if self._settings().carddav_url or self._waiting:
                await self._sync_reporting()
            try:
                async with asyncio.timeout(self._settings().carddav_sync_minutes * 60):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _sync_reporting(self) -> None:
        waiting, self._waiting = self._waiting, []
        self.at = now_utc()
        try:
            self.last = await self.sync()
        except asyncio.CancelledError:
            for waiter in waiting:
                waiter.cancel()
            raise
        except Exception as exc:  # a sync that fails is reported, and tried again later
            self.error = str(exc) or type(exc).__name__
            log.warning("contacts: the CardDAV sync failed: %s", self.error)
            for waiter in waiting:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        self.error = None
        for waiter in waiting:
            if not waiter.done():
                waiter.set_result(self.last)
        if self.last.changes != ContactChanges(unchanged=self.last.changes.unchanged):
            log.info("contacts: synced %s", self.last.describe())
            if self.on_synced is not None:
                self.on_synced(self.last)
