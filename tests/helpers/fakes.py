"""Stand-ins for what a test must not reach: Intulse's APIs and the user's keyring."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from keyring.backend import KeyringBackend


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeIntulse:
    """Both Intulse APIs: ``/webhooks`` (REST) and ``/api/call/`` (dashboard).

    ``listing`` is what ``GET /webhooks`` returns; ``answers`` overrides the
    answer to ``(method, path)`` with ``(status, body[, headers])``; paths in ``hang``
    never answer (until the test ends). With ``keeps`` it behaves like a real registry:
    a registration is added to ``listing`` and a delete takes it out.
    """

    requests: list[Recorded] = field(default_factory=list)
    listing: Any = field(default_factory=list)
    answers: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    hang: set[tuple[str, str]] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    keeps: bool = False

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_post("/webhooks", self._created)
        app.router.add_get("/webhooks", self._listed)
        app.router.add_delete("/webhooks/{id}", self._deleted)
        app.router.add_post("/api/call/", self._called)
        return app

    async def _created(self, request: web.Request) -> web.Response:
        webhook = {"Id": len(self.requests)} | await request.json()
        if self.keeps:
            self.listing.append(webhook)
        return web.json_response(webhook, status=201)

    async def _listed(self, request: web.Request) -> web.Response:
        return web.json_response(self.listing)

    async def _deleted(self, request: web.Request) -> web.Response:
        if self.keeps:
            self.listing = [w for w in self.listing if str(w["Id"]) != request.match_info["id"]]
        return web.Response(status=204)

    async def _called(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(Recorded(request.method, request.path, dict(request.headers), body))
        key = (request.method, request.path)
        if key in self.hang:
            await self.release.wait()
        if key in self.answers:
            status, body, *headers = self.answers[key]
            return web.Response(status=status, text=body, headers=headers[0] if headers else None)
        return await handler(request)

    def made(self, method: str, path: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and (path is None or r.path == path)]


class MemoryKeyring(KeyringBackend):
    """A keyring that forgets everything when the test ends."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username))
