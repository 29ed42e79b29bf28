"""A hub's connection to the organisation's NATS cluster, set up for serving or for a user command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from intulse_desktop.hub.broker import BrokerOptions, Publisher, connect, ensure_stream
from intulse_desktop.hub.jetstream import StreamJournal
from intulse_desktop.hub.kv_users import KvUsers, bucket


@dataclass(frozen=True)
class Cluster:
    """What a hub serving from the broker needs: where webhooks go, what it serves, who may connect."""

    publisher: Publisher
    journal: StreamJournal
    users: KvUsers


@asynccontextmanager
async def serving(options: BrokerOptions) -> AsyncIterator[Cluster]:
    """The stream and the users' bucket (made on first use), the users loaded and followed."""
    client = await connect(options)
    try:
        js = client.jetstream()
        await ensure_stream(js, options)
        users = KvUsers(await bucket(js, options.replicas))
        await users.start()
        try:
            yield Cluster(Publisher(client), StreamJournal(js), users)
        finally:
            await users.close()
    finally:
        await client.close()


@asynccontextmanager
async def user_commands(options: BrokerOptions) -> AsyncIterator[KvUsers]:
    """The users' bucket for ``hub add-user/list-users/remove-user --broker``."""
    client = await connect(options, name="intulse-hub-users")
    try:
        yield KvUsers(await bucket(client.jetstream(), options.replicas))
    finally:
        await client.close()
