"""Posting a JSON body to a webhook URL, with each way it can fail named.

Used to try a set-up end to end (``send-test``); the failure kinds say what to
fix: a name that does not resolve, a refused connection, TLS, a timeout.
"""

from __future__ import annotations

import asyncio
import errno
from typing import Any

import aiohttp

from intulse_desktop import APP_NAME, __version__

DEFAULT_TIMEOUT = 10.0


async def post_json(url: str, payload: Any, timeout: float = DEFAULT_TIMEOUT) -> tuple[int | None, str]:
    """``(status, body)`` for an answer, or ``(None, what went wrong)``; never raises for the network."""
    try:
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout),
            headers={"User-Agent": f"{APP_NAME}/{__version__}"},
        ) as session:
            async with session.post(url, json=payload) as response:
                return response.status, (await response.text(errors="replace"))[:500]
    except aiohttp.ClientConnectorDNSError:
        return None, "the host name does not resolve (check the URL, or the tunnel is not running)"
    except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
        return None, f"TLS failed ({exc.__class__.__name__}): the certificate or the tunnel's HTTPS is wrong"
    except aiohttp.ClientConnectorError as exc:
        if exc.os_error.errno == errno.ECONNREFUSED or isinstance(exc.os_error, ConnectionRefusedError):
            return None, "connection refused: nothing listens there (is intulse-desktop running? a port forward?)"
        return None, f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
        return None, f"no answer within {timeout:g} seconds (a firewall dropping the connection?)"
    except aiohttp.InvalidURL:
        return None, "the URL is not valid"
    except aiohttp.ClientError as exc:
        return None, f"the connection failed: {exc.__class__.__name__}"
