"""Test delivery: does a post to the public webhook URL reach this receiver, and how fast?

A harmless sample goes out with ``X-Intulse-Desktop-Test: <nonce>``. Only our
receiver answers with that nonce (and stores and pops nothing), so a 200 from
a router page, a parked domain or a tunnel's error page is not mistaken for
success. Each way it can fail is named together with what to do about it.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp

from intulse_desktop import APP_NAME
from intulse_desktop.formatting import printable
from intulse_desktop.logs import redact_path
from intulse_desktop.outcome import Outcome
from intulse_desktop.paths import Paths
from intulse_desktop.receiver import NOT_FOUND, TEST_HEADER, webhook_urls
from intulse_desktop.samples import sample
from intulse_desktop.sender import NETWORK_ERRORS, USER_AGENT, WEBHOOK_ADVICE, Failure, classify
from intulse_desktop.service import Service
from intulse_desktop.settings import Settings

TIMEOUT = 10.0
PROBE_TIMEOUT = 2.0
TEST_TYPE = "CallStarted"


class Step(StrEnum):
    ARRIVED = "arrived"
    REDIRECTED = "redirected"
    WRONG_SECRET = "wrong-secret"
    NOT_OUR_RECEIVER = "not-our-receiver"
    REJECTED = "rejected"


@dataclass(frozen=True)
class DeliveryResult(Outcome):
    """An ``Outcome`` (its ``kind`` a ``Step`` or a ``Failure``), and where the test went."""

    url: str = ""  # where the test went, with the secret hidden
    from_outside: bool = False  # False: no public URL, so only this computer's own address was tried
    rtt: float | None = None  # seconds from sending to the answer


async def check_delivery(settings: Settings, secret: str, *, timeout: float = TIMEOUT) -> DeliveryResult:
    """Post a test to the public webhook URL (the local one if none is set) and judge the answer."""
    from_outside = settings.public_url is not None
    url = webhook_urls(settings.base_url(), secret)[TEST_TYPE]
    nonce = secrets.token_urlsafe(16)
    payload = sample(TEST_TYPE, settings.extension)
    shown = redact_path(url)

    def result(step: StrEnum, message: str, advice: str = "", rtt: float | None = None) -> DeliveryResult:
        return DeliveryResult(
            step is Step.ARRIVED, step, message, advice, url=shown, from_outside=from_outside, rtt=rtt
        )

    started = time.monotonic()
    try:
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout), headers={"User-Agent": USER_AGENT}
        ) as session:
            headers = {TEST_HEADER: nonce}
            async with session.post(url, json=payload, headers=headers, allow_redirects=False) as response:
                status, body = response.status, await response.text(errors="replace")
                location = response.headers.get("Location", "")
    except NETWORK_ERRORS as exc:
        failure = classify(exc, timeout)
        advice = WEBHOOK_ADVICE[failure.kind]
        if failure.kind is not Failure.DNS:
            advice += f" (the receiver listens on {settings.listen_host}:{settings.listen_port})"
        return result(failure.kind, failure.message, advice)
    rtt = time.monotonic() - started

    data = _json(body)
    error = data.get("error") if isinstance(data, dict) else None
    if 200 <= status < 300 and isinstance(data, dict) and data.get("test") == nonce:
        return result(Step.ARRIVED, f"arrived in {rtt * 1000:.0f} ms", rtt=rtt)
    if 300 <= status < 400:
        return result(
            Step.REDIRECTED,
            f"the address redirects (HTTP {status}) to {printable(redact_path(location)) or 'nowhere'}",
            "Intulse may not follow redirects: set the public URL to the address it redirects to",
            rtt,
        )
    if status == 404 and error == NOT_FOUND:
        return result(
            Step.WRONG_SECRET,
            "a receiver answered but does not know this URL's secret (HTTP 404)",
            "the intulse-desktop there has another secret: restart it if the secret was regenerated, "
            "or point the public URL at this computer; then register the webhooks again",
            rtt,
        )
    if status >= 400 and isinstance(error, str):
        return result(
            Step.REJECTED,
            f"the receiver refused the test (HTTP {status}): {printable(error[:200])}",
            "is intulse-desktop there the same version as this one? Its log says more",
            rtt,
        )
    return result(
        Step.NOT_OUR_RECEIVER,
        f"something other than Intulse Desktop's receiver answered (HTTP {status})",
        "the address leads to another server, or to a tunnel or proxy that cannot reach the receiver: "
        f"point it at {settings.local_url()} and check that intulse-desktop is running",
        rtt,
    )


@asynccontextmanager
async def receiver_running(paths: Paths, settings: Settings, secret: str) -> AsyncIterator[str]:
    """For the command line: rely on the app's receiver if it runs, else start one for the test.

    Yields which, in words. Raises ``ReceiverError`` if another program holds the port.
    """
    local = settings.local_url()
    if await receiver_at(local):
        yield f"the running {APP_NAME} at {local}"
        return
    service = Service(paths.ensure(), settings, secret)
    try:
        await service.start()
        await service.listen(settings.listen_host, settings.listen_port)
        yield f"a receiver started at {local} for this test"
    finally:
        await service.close()


async def receiver_at(base_url: str) -> bool:
    """Whether Intulse Desktop's receiver answers at ``base_url`` (its ``/healthz``)."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PROBE_TIMEOUT)) as session,
            session.get(f"{base_url}/healthz", allow_redirects=False) as response,
        ):
            status, data = response.status, _json(await response.text(errors="replace"))
    except NETWORK_ERRORS:
        return False
    ours = isinstance(data, dict) and "version" in data
    return ours and (status, data.get("status")) in ((200, "ok"), (503, "degraded"))


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
