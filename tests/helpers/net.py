"""Sockets and webhooks: a port nobody answers on, and a delivery through the real receiver."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import aiohttp

from intulse_desktop.bus import Delivery
from intulse_desktop.service import Service

from .builders import event_type_of, payload


def closed_port() -> int:
    """A port nothing listens on (it was free a moment ago)."""
    return closed_ports(1)[0]


def closed_ports(count: int) -> list[int]:
    """``count`` different ports nothing listens on: held open together while they are chosen, so
    the kernel cannot hand out one port twice (two calls of ``closed_port`` may)."""
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(count):
            sock = held.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


async def post_webhook(service: Service, event_type: str, body: dict[str, Any]) -> Delivery:
    """POST ``body`` to ``service``'s receiver as Intulse does, over HTTP on 127.0.0.1 (listening on
    a free port first if it does not yet listen); return the delivery once the bus has published it,
    that is once every subscriber (the GUI) has seen it."""
    if service.address is None:
        await service.listen("127.0.0.1", 0)
    assert service.address is not None
    host, port = service.address
    published: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()

    def heard(delivery: Delivery) -> None:
        if not published.done():
            published.set_result(delivery)

    unsubscribe = service.bus.subscribe(heard)
    try:
        url = f"http://{host}:{port}/hooks/{service.receiver.secret}/{event_type}"
        async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
            assert response.status == 200, await response.text()
        async with asyncio.timeout(5):
            return await published
    finally:
        unsubscribe()


def deliver(gui: Any, name: str, event_type: str | None = None, **fields: Any) -> Any:
    """Send sample ``name`` (with ``fields`` changed) to the GUI's receiver and return the event
    once the GUI has had it: a GUI test drives the app's loop from outside, so this runs it."""
    body = payload(name) | fields
    loop = asyncio.get_event_loop()
    delivery = loop.run_until_complete(post_webhook(gui.service, event_type or event_type_of(name), body))
    return delivery.event
