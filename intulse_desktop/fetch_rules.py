"""What the app fetches by itself, and from where: the rules for links that arrive in payloads.

A recording's or an attachment's link comes from the internet (anyone who knows
the webhook URL can post one), so fetching it is guarded three ways:

- **The API key** goes only to the https hosts and paths in ``KEY_PATHS``, where
  Intulse keeps recordings as far as is known (it documents none): not to any
  ``*.intulse.com`` host and path, where it could end up in a log or a
  third party's hands.
- **Addresses**: a connection goes only to a public address, checked after the
  name is resolved (``guarded_socket`` is the socket factory of every fetch,
  redirects included), so a link cannot reach this computer, the LAN or a
  link-local metadata service, whatever its name says.
- **Previews** are fetched by themselves only from Intulse's own hosts
  (``is_intulse_media``); any other is fetched when asked.
"""

from __future__ import annotations

import ipaddress
import socket

from yarl import URL

# https host → path prefixes under which the API key may be offered (after a 401 or 403).
KEY_PATHS: dict[str, tuple[str, ...]] = {
    "recordings.intulse.com": ("/",),
    "media.intulse.com": ("/",),
    "api.intulse.com": ("/recordings/", "/recording/"),
    "dashboard.intulse.com": ("/api/recordings/", "/api/recording/"),
}

AddrInfo = tuple[int, int, int, str, tuple[str, int] | tuple[str, int, int, int]]


class PrivateAddress(OSError):
    """A fetch that would connect to this computer, a private network or a reserved address."""


def _url(url: str) -> URL | None:
    try:
        parsed = URL(url.strip())
    except (ValueError, TypeError):
        return None
    return parsed if parsed.scheme == "https" and parsed.host else None


def _host(parsed: URL) -> str:
    return (parsed.host or "").lower().rstrip(".")


def may_send_key(url: str) -> bool:
    """Whether ``url`` may be sent the API key: https, on a recording host, under its recording paths
    (the path as it will be sent: dot segments resolved)."""
    parsed = _url(url)
    if parsed is None:
        return False
    prefixes = KEY_PATHS.get(_host(parsed), ())
    path = parsed.path
    if any(segment in (".", "..") for segment in path.split("/")):  # %2F-separated, once decoded
        return False
    return any(path.startswith(prefix) for prefix in prefixes)


def is_intulse_media(url: str) -> bool:
    """Whether a preview of ``url`` may be fetched without being asked: https on intulse.com or below."""
    parsed = _url(url)
    host = "" if parsed is None else _host(parsed)
    return host == "intulse.com" or host.endswith(".intulse.com")


def is_public_address(address: str) -> bool:
    """Whether ``address`` is on the public internet (not loopback, private, link-local, shared,
    multicast or reserved; an IPv4 address inside IPv6 is judged as itself)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def guarded_socket(addr_info: AddrInfo) -> socket.socket:
    """aiohttp's socket factory for fetches: a socket for a public address, else ``PrivateAddress``."""
    family, kind, proto, _, address = addr_info
    if not is_public_address(str(address[0])):
        raise PrivateAddress("links to this computer or a private network are not fetched")
    return socket.socket(family, kind, proto)
