"""Posting a JSON body to a webhook URL, with each way a connection can fail named.

``classify`` turns aiohttp's exceptions into a few kinds a person can act on;
the Intulse API client and the delivery check use it too, each with its own
advice. Its words never include request headers, so no credential leaks.
"""

from __future__ import annotations

import asyncio
import errno
from enum import StrEnum
from typing import Any

import aiohttp

from intulse_desktop import APP_NAME, __version__
from intulse_desktop.outcome import Outcome

DEFAULT_TIMEOUT = 10.0
USER_AGENT = f"{APP_NAME}/{__version__}"

# What a request can raise when the network, not our code, is at fault.
NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


class Failure(StrEnum):
    DNS = "dns"
    REFUSED = "refused"
    TLS = "tls"
    CONNECT = "connect"
    TIMEOUT = "timeout"
    INVALID_URL = "invalid-url"
    OTHER = "other"


def classify(exc: aiohttp.ClientError | asyncio.TimeoutError, timeout: float) -> Outcome[Failure]:
    """Name one of ``NETWORK_ERRORS``; the most specific aiohttp classes are checked first.

    The message is the bare fact ("the name example.invalid does not resolve"); each caller
    knows its own advice."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return Outcome(False, Failure.DNS, f"the name {exc.host} does not resolve")
    if isinstance(exc, aiohttp.ClientSSLError):  # certificate errors included
        error = exc.os_error
        reason = getattr(error, "verify_message", None) or getattr(error, "reason", None)
        reason = reason or type(error).__name__
        return Outcome(False, Failure.TLS, f"TLS with {exc.host}:{exc.port} failed ({reason})")
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError) or exc.os_error.errno == errno.ECONNREFUSED:
            return Outcome(False, Failure.REFUSED, f"{exc.host}:{exc.port} refused the connection")
        why = exc.os_error.strerror or exc.os_error
        return Outcome(False, Failure.CONNECT, f"cannot connect to {exc.host}:{exc.port}: {why}")
    if isinstance(exc, asyncio.TimeoutError):
        return Outcome(False, Failure.TIMEOUT, f"no answer within {timeout:g} seconds")
    if isinstance(exc, aiohttp.InvalidURL):
        return Outcome(False, Failure.INVALID_URL, "the URL is not valid")
    return Outcome(False, Failure.OTHER, f"the connection failed ({exc.__class__.__name__})")


# What to do when a post to one of our own webhook URLs fails this way.
WEBHOOK_ADVICE = {
    Failure.DNS: "check the URL; if it is a tunnel's address, is the tunnel running?",
    Failure.REFUSED: "nothing listens there: is intulse-desktop running, and does the port forward "
    "or tunnel lead to its listening port? A firewall may also reject it",
    Failure.TLS: "the HTTPS in front of the receiver is wrong: a plain-HTTP port addressed as https://, "
    "or a certificate that does not match the name",
    Failure.CONNECT: "check the network, the URL and any firewall on the way",
    Failure.TIMEOUT: "a firewall may be dropping the connection, "
    "or the port forward points at another computer",
    Failure.INVALID_URL: "check the URL",
    Failure.OTHER: "the connection broke off; try again, and check the tunnel or proxy in between",
}


async def post_json(url: str, payload: Any, timeout: float = DEFAULT_TIMEOUT) -> tuple[int | None, str]:
    """``(status, body)`` for an answer, or ``(None, what went wrong)``; never raises for the network."""
    try:
        async with (
            aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=timeout), headers={"User-Agent": USER_AGENT}
            ) as session,
            session.post(url, json=payload) as response,
        ):
            return response.status, (await response.text(errors="replace"))[:500]
    except NETWORK_ERRORS as exc:
        failure = classify(exc, timeout)
        return None, f"{failure.message} ({WEBHOOK_ADVICE[failure.kind]})"
