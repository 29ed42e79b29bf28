"""Several hubs, one log: the organisation's NATS JetStream cluster as the hub's store (docs/hub.md).

With ``hub --broker nats://…`` a hub keeps no journal of its own. Each webhook
it takes is published to the stream ``STREAM`` and answered 200 only after the
cluster's publish ack: the event is then stored on ``broker_replicas`` servers
(persist, then acknowledge, with the broker as the store). Each publish carries
a ``Nats-Msg-Id`` made from the event, so Intulse's retry of a delivery, on
this hub or another, is dropped by the stream within ``DEDUPE_WINDOW``. Every
hub reads the whole stream (``jetstream.StreamJournal``): the stream's sequence
and identity are the desktops' cursor, the same at every hub. Users live in the
KV bucket ``USERS_BUCKET`` (``kv_users``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StorageType, StreamConfig, StreamInfo

from intulse_desktop.events import CallCompleted, CallStarted, Event, TextMessageReceived
from intulse_desktop.store.errors import StoreError

log = logging.getLogger(__name__)

STREAM = "INTULSE_EVENTS"
SUBJECT = "intulse.events"
USERS_BUCKET = "intulse-hub-users"
DEDUPE_WINDOW = timedelta(minutes=10)  # a retry of the same delivery within this is dropped
PUBLISH_DEADLINE = 8.0  # seconds a publish keeps trying through a leader election before a 503
CONNECT_TIMEOUT = 5
START_DEADLINE = 20.0  # a hub that cannot reach any server at start says so and exits (systemd restarts it)
EVENT_TYPE = "Intulse-Event-Type"
RECEIVED = "Intulse-Received"
MSG_ID = "Nats-Msg-Id"
BROKER_ERRORS = (nats.errors.Error, TimeoutError, OSError)


class BrokerError(RuntimeError):
    """The broker cannot be reached or set up; the message says why."""


@dataclass(frozen=True)
class BrokerOptions:
    """Where the NATS cluster is and how this hub signs in: a user and password, or a file."""

    servers: tuple[str, ...]
    user: str | None = None
    password: str | None = None
    credentials: str | None = None  # a .creds file (JWT + NKEY) or an NKEY seed file
    replicas: int = 3
    max_events: int = 100_000
    max_age_days: int | None = None

    def connect_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.user:
            options |= {"user": self.user, "password": self.password or ""}
        if self.credentials:
            with open(self.credentials, encoding="utf-8") as file:  # BrokerError below names it
                is_creds = "BEGIN NATS USER JWT" in file.read()
            options["user_credentials" if is_creds else "nkeys_seed"] = self.credentials
        return options


async def connect(options: BrokerOptions, name: str = "intulse-hub") -> Client:
    """Connect to any of the servers; afterwards the client reconnects by itself, without end."""

    async def quietly(exc: Exception) -> None:  # nats-py would print a traceback for each attempt
        log.warning("NATS: %s", exc or type(exc).__name__)

    async def disconnected() -> None:
        log.warning("NATS: disconnected; reconnecting")

    async def reconnected() -> None:
        log.info("NATS: reconnected to %s", client.connected_url.netloc if client.connected_url else "?")

    try:
        credentials = options.connect_options()
    except OSError as exc:
        raise BrokerError(f"cannot read the NATS credentials {options.credentials}: {exc}") from None
    client = Client()
    try:
        async with asyncio.timeout(START_DEADLINE):
            await client.connect(
                servers=list(options.servers),
                name=name,
                connect_timeout=CONNECT_TIMEOUT,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                error_cb=quietly,
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
                **credentials,
            )
    except (nats.errors.Error, OSError, TimeoutError) as exc:
        await client.close()
        why = "no server answered" if isinstance(exc, TimeoutError) else _said(exc)
        raise BrokerError(f"cannot connect to NATS at {','.join(options.servers)}: {why}") from None
    return client


async def ensure_stream(js: JetStreamContext, options: BrokerOptions, deadline: float = 30.0) -> StreamInfo:
    """The events stream, made on first use and given this hub's limits; waits out a cluster that is
    still electing its leaders."""
    config = StreamConfig(
        name=STREAM,
        subjects=[SUBJECT],
        storage=StorageType.FILE,
        num_replicas=options.replicas,
        max_msgs=options.max_events,
        max_age=options.max_age_days * 86400.0 if options.max_age_days else None,
        discard=DiscardPolicy.OLD,
        duplicate_window=DEDUPE_WINDOW.total_seconds(),
    )
    info: StreamInfo = await retrying(lambda: _add_or_update(js, config), deadline, "set up the stream")
    return info


async def _add_or_update(js: JetStreamContext, config: StreamConfig) -> StreamInfo:
    try:
        return await js.add_stream(config)
    except nats.js.errors.BadRequestError:  # it exists with other limits: these are the ones now
        return await js.update_stream(config)


async def retrying(attempt: Any, deadline: float, what: str) -> Any:
    """Run ``attempt()`` until it works or ``deadline`` seconds pass (a cluster forming, a leader moving)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while True:
        try:
            return await attempt()
        except BROKER_ERRORS as exc:
            if loop.time() >= end:
                raise BrokerError(f"cannot {what} in NATS: {_said(exc)}") from None
            await asyncio.sleep(0.2)


def message_id(event: Event) -> str | None:
    """What makes two deliveries the same event, for the stream's dedupe: type and Id, or a text's
    key. Presence has none: the same status twice is a real change when another came between."""
    if isinstance(event, CallStarted | CallCompleted):
        return f"{event.TYPE}:{event.id}"
    if isinstance(event, TextMessageReceived):
        return f"{event.TYPE}:{event.key}"
    return None


class Publisher:
    """Takes the place of the hub's own log on the webhook's way: stored means acked by the stream."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._js = client.jetstream()

    def problem(self) -> str | None:
        """Why events cannot be stored now, for ``/healthz``; None when they can."""
        return None if self._client.is_connected else "not connected to NATS; reconnecting"

    async def record(self, event: Event, is_mine: bool, received: datetime) -> bool:
        """Publish ``event`` and wait for the cluster to store it; True unless the stream had it.

        Raises ``StoreError`` (answered 503, so Intulse retries) when no ack comes in time."""
        headers = {EVENT_TYPE: event.TYPE, RECEIVED: received.isoformat()}
        if (key := message_id(event)) is not None:
            headers[MSG_ID] = key
        payload = event.model_dump_json(by_alias=True).encode()

        async def publish() -> bool:
            ack = await self._js.publish(SUBJECT, payload, stream=STREAM, headers=headers, timeout=2.0)
            return not ack.duplicate

        try:
            is_new: bool = await retrying(publish, PUBLISH_DEADLINE, "store the event")
        except BrokerError as exc:
            raise StoreError(str(exc)) from None
        return is_new


def _said(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
