"""A read-only CardDAV client (RFC 6352) for one address book: what changed, and the cards.

Two ways to learn what changed, as servers offer them: the sync-collection REPORT
(RFC 6578) with the last sync-token, which every common server has (Nextcloud, iCloud,
Fastmail, Radicale); else a PROPFIND of every card's ETag, compared with the ETags kept.
Changed cards are then fetched in batches with addressbook-multiget. Each card is known
by its URL (the server's href, made absolute), which is its uid in the address book.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp

DAV = "DAV:"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
MULTIGET_BATCH = 100
TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=15)
MAX_RESPONSE = 64 * 2**20

_SYNC_COLLECTION = """<?xml version="1.0" encoding="utf-8"?>
<d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>
<d:prop><d:getetag/></d:prop></d:sync-collection>"""
_PROPFIND = """<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>"""
_MULTIGET = """<?xml version="1.0" encoding="utf-8"?>
<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">
<d:prop><d:getetag/><c:address-data/></d:prop>{hrefs}</c:addressbook-multiget>"""


class CardDavError(Exception):
    """The address book cannot be read; the message says why and, where it can, what to do."""


class SyncTokenExpired(CardDavError):
    """The server no longer knows the sync-token: start again from none."""


@dataclass
class Changes:
    """What a server says changed: card URL -> ETag, the URLs deleted, and the new sync-token."""

    changed: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    token: str = ""


@dataclass(frozen=True)
class Card:
    url: str
    etag: str
    text: str


class CardDavClient:
    def __init__(self, session: aiohttp.ClientSession, url: str, user: str, password: str) -> None:
        self.url = url.rstrip("/") + "/"  # a collection
        self._session = session
        # HTTP Basic, made here: aiohttp's BasicAuth is deprecated from 3.14, its successor is not in 3.10.
        credentials = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self._auth = {"Authorization": f"Basic {credentials}"} if user else {}
        self._hrefs: dict[str, str] = {}  # card URL -> the href the server wrote, to ask for it back

    async def changes_since(self, token: str) -> Changes | None:
        """What changed since ``token`` ("" for everything), or None if the server cannot say
        (no sync-collection: compare ``etags()`` instead). ``SyncTokenExpired`` if it forgot it.

        A server may answer in parts (the collection itself ``507``: more to come, RFC 6578
        3.6); they are asked for in turn and joined."""
        changes = Changes(token=token)
        more = True
        while more:
            body = _SYNC_COLLECTION.format(token=_xml_text(changes.token))
            status, root = await self._request(
                "REPORT", body, depth="1", allowed=(207, 403, 409, 400, 501, 405)
            )
            if status != 207 or root is None:
                if changes.token and status in (403, 409) and _has(root, "valid-sync-token"):
                    raise SyncTokenExpired(f"{self.url} no longer knows the last sync-token")
                return None
            more = False
            for href, status_code, props in self._responses(root):
                if href == self.url:
                    more = status_code == 507
                elif status_code == 404:
                    changes.deleted.add(href)
                    changes.changed.pop(href, None)
                elif status_code == 200:
                    changes.changed[href] = _text(props.find(f"{{{DAV}}}getetag"))
                    changes.deleted.discard(href)
            new_token = _text(root.find(f"{{{DAV}}}sync-token"))
            more = more and new_token != changes.token  # never ask for the same part twice
            changes.token = new_token
        return changes

    async def etags(self) -> dict[str, str]:
        """Every card's URL and ETag."""
        _, root = await self._request("PROPFIND", _PROPFIND, depth="1")
        assert root is not None
        return {
            href: _text(props.find(f"{{{DAV}}}getetag"))
            for href, status_code, props in self._responses(root)
            if status_code == 200 and href != self.url and props.find(f".//{{{DAV}}}collection") is None
        }

    async def cards(self, urls: Iterable[str]) -> list[Card]:
        """The cards at ``urls`` (missing ones left out), a batch of requests at a time."""
        wanted = list(urls)
        found: list[Card] = []
        for start in range(0, len(wanted), MULTIGET_BATCH):
            hrefs = "".join(
                f"<d:href>{_xml_text(self._hrefs.get(url, url))}</d:href>"
                for url in wanted[start : start + MULTIGET_BATCH]
            )
            _, root = await self._request("REPORT", _MULTIGET.format(hrefs=hrefs), depth="1")
            assert root is not None
            for href, status_code, props in self._responses(root):
                data = props.find(f"{{{CARDDAV}}}address-data")
                if status_code == 200 and data is not None and data.text:
                    found.append(Card(href, _text(props.find(f"{{{DAV}}}getetag")), data.text))
        return found

    def _responses(self, root: ET.Element) -> Iterator[tuple[str, int, ET.Element]]:
        """(card URL, status, the props of that status) for each response of a multistatus."""
        for response in root.iter(f"{{{DAV}}}response"):
            href = _text(response.find(f"{{{DAV}}}href"))
            if not href:
                continue
            url = unquote(urljoin(self.url, href))
            self._hrefs[url] = href
            plain = response.find(f"{{{DAV}}}status")
            if plain is not None:
                yield url, _status(plain), ET.Element("prop")
            for propstat in response.iter(f"{{{DAV}}}propstat"):
                props = propstat.find(f"{{{DAV}}}prop")
                yield (
                    url,
                    _status(propstat.find(f"{{{DAV}}}status")),
                    props if props is not None else ET.Element("prop"),
                )

    async def _request(
        self, method: str, body: str, *, depth: str, allowed: tuple[int, ...] = (207,)
    ) -> tuple[int, ET.Element | None]:
        headers = {"Depth": depth, "Content-Type": 'application/xml; charset="utf-8"', **self._auth}
        try:
            async with self._session.request(
                method, self.url, data=body.encode(), headers=headers, timeout=TIMEOUT
            ) as response:
                if response.status not in allowed:
                    raise CardDavError(_explain(self.url, response.status))
                data = await response.content.read(MAX_RESPONSE + 1)
                status = response.status
        except aiohttp.ClientError as exc:
            raise CardDavError(f"cannot reach {_host(self.url)}: {exc}") from None
        except TimeoutError:
            raise CardDavError(f"{_host(self.url)} did not answer in time") from None
        if len(data) > MAX_RESPONSE:
            raise CardDavError(f"{self.url} sent more than {MAX_RESPONSE // 2**20} MB at once")
        if not data.strip():
            return status, None
        try:
            return status, ET.fromstring(data)
        except ET.ParseError as exc:
            if status == 207:
                raise CardDavError(f"{self.url} answered with XML that cannot be read: {exc}") from None
            return status, None


def _explain(url: str, status: int) -> str:
    if status == 401:
        return f"{_host(url)} refused the user name or app password (HTTP 401)"
    if status == 403:
        return f"{_host(url)} does not let this user read {url} (HTTP 403)"
    if status == 404:
        return f"there is no address book at {url} (HTTP 404): check carddav_url"
    if status in (301, 302, 307, 308):
        return f"{url} moved (HTTP {status}): give the address book's own URL as carddav_url"
    return f"{_host(url)} answered HTTP {status} for {url}"


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _status(element: ET.Element | None) -> int:
    """The code of ``HTTP/1.1 200 OK``; 0 if there is none."""
    parts = _text(element).split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _has(root: ET.Element | None, name: str) -> bool:
    return root is not None and root.find(f".//{{{DAV}}}{name}") is not None


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
