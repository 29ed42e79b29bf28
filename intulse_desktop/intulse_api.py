"""The Intulse REST API: register, list and delete webhooks; click-to-call.

Every request ends in an ``Outcome`` a person can act on, never in an
exception for the network or an error status. The API key goes only into the
header or Basic auth of the request that needs it: it is never in a message,
a log line or a repr, and any server text is scrubbed of it before it is shown.
Redirects are not followed, so the key never travels to another address.

Only registration is documented (INTULSE.md); listing and deleting are
REST-conventional guesses that may answer 404/405, which is a result too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import aiohttp

from intulse_desktop.formatting import printable
from intulse_desktop.logs import redact_path
from intulse_desktop.matching import digits
from intulse_desktop.outcome import Outcome
from intulse_desktop.secrets import SecretsError, SecretStore
from intulse_desktop.sender import NETWORK_ERRORS, USER_AGENT, Failure, classify
from intulse_desktop.settings import DEFAULT_API_URL, DEFAULT_DASHBOARD_API_URL, Settings, SettingsError
from intulse_desktop.urls import http_url

log = logging.getLogger(__name__)

API_URL_ENV = "INTULSE_API_URL"
TIMEOUT = 15.0
_HIDDEN = "<api key>"


class Kind(StrEnum):
    """What an answer came to; when there was no answer, ``sender.Failure`` says why."""

    DONE = "done"
    EXISTS = "exists"
    BAD_KEY = "bad-key"
    NOT_FOUND = "not-found"
    UNSUPPORTED = "unsupported"
    SERVER_ERROR = "server-error"
    REJECTED = "rejected"
    REDIRECTED = "redirected"
    UNREADABLE = "unreadable"


ApiOutcome = Outcome[Kind | Failure]  # a request's: an answer's Kind, or why none came


@dataclass(frozen=True)
class Webhook:
    """One registration as listed; ``id`` is None when the listing gave none (it cannot be deleted)."""

    id: str | None
    url: str
    type: str


@dataclass(frozen=True)
class _Answer:
    url: str
    status: int
    body: str


@dataclass(frozen=True)
class WebhookList:
    result: ApiOutcome
    webhooks: tuple[Webhook, ...] = ()


# Advice when the Intulse API cannot be reached at all.
_NETWORK_ADVICE = {
    Failure.DNS: "check the internet connection and the API URL setting",
    Failure.REFUSED: "check the API URL setting, and any proxy or firewall",
    Failure.TLS: "a proxy or security software may be intercepting HTTPS; check the API URL",
    Failure.CONNECT: "check the internet connection, and any proxy or firewall",
    Failure.TIMEOUT: "Intulse or the network is slow; try again later",
    Failure.INVALID_URL: "check the API URL setting",
    Failure.OTHER: "try again; check any proxy or firewall in between",
}


class ApiKeyError(ValueError):
    """An API key that cannot be sent; the message never repeats the key."""


class ApiUnavailable(Exception):
    """No client can be made; the message says why, in words, and never repeats the key.

    ``bad_key`` is set when the key itself cannot be sent: worth entering again.
    """

    def __init__(self, message: str, *, bad_key: bool = False) -> None:
        super().__init__(message)
        self.bad_key = bad_key


def check_api_key(key: str) -> str:
    """The key without surrounding blanks; printable ASCII without spaces, as it goes in a header."""
    key = key.strip()
    if not key:
        raise ApiKeyError("the API key is empty")
    if not all(33 <= ord(c) < 127 for c in key):
        raise ApiKeyError("the API key has spaces or characters that cannot be sent; was it pasted whole?")
    return key


def resolve_api_url(settings: Settings) -> str:
    """The REST API's base URL: ``INTULSE_API_URL`` if set, else the ``api_url`` setting."""
    override = os.environ.get(API_URL_ENV, "").strip()
    if not override:
        return settings.api_url
    try:
        return http_url(override)
    except ValueError as exc:
        raise SettingsError(f"{API_URL_ENV}: {exc}") from None


class IntulseApi:
    """A client with one HTTP session: ``async with IntulseApi(key) as api: await api.register(urls)``."""

    def __init__(
        self,
        api_key: str,
        *,
        api_url: str = DEFAULT_API_URL,
        dashboard_api_url: str = DEFAULT_DASHBOARD_API_URL,
        timeout: float = TIMEOUT,
    ) -> None:
        self._key = check_api_key(api_key)
        self.api_url = api_url.rstrip("/")
        self.dashboard_api_url = dashboard_api_url.rstrip("/")
        self.timeout = timeout
        self._http: aiohttp.ClientSession | None = None
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, api_key: str, *, timeout: float = TIMEOUT) -> IntulseApi:
        return cls(
            api_key,
            api_url=resolve_api_url(settings),
            dashboard_api_url=settings.dashboard_api_url,
            timeout=timeout,
        )

    @classmethod
    def from_secrets(cls, settings: Settings, secrets: SecretStore, *, no_key: str) -> IntulseApi:
        """A client with the key from the environment or the secret store (which adds it to the
        log redactor); ``ApiUnavailable(no_key)`` when there is none, and ``ApiUnavailable`` too
        when the secret store, the API URL or the key cannot be used.
        """
        try:
            key = secrets.api_key()
            if not key:
                raise ApiUnavailable(no_key)
            return cls.from_settings(settings, key)
        except (SecretsError, SettingsError) as exc:
            raise ApiUnavailable(str(exc)) from None
        except ApiKeyError as exc:
            raise ApiUnavailable(str(exc), bad_key=True) from None

    def __repr__(self) -> str:
        return f"IntulseApi(api_url={self.api_url!r}, dashboard_api_url={self.dashboard_api_url!r})"

    async def __aenter__(self) -> IntulseApi:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        if self._http is not None:
            await self._http.close()

    # --- webhooks ------------------------------------------------------------------------

    async def register(self, urls: Mapping[str, str]) -> dict[str, ApiOutcome]:
        """Register each ``{event type: url}``, skipping those already registered; a result per type.

        Listing first avoids duplicates where the API can list; where it cannot,
        each type is simply registered. Registrations with other URLs (another
        desktop's, or an old secret's) are left alone: they may still be in use.
        """
        listing = await self.list_webhooks()
        if isinstance(listing.result.kind, Failure):  # no connection: four more tries would only wait longer
            return {event_type: listing.result for event_type in urls}
        existing = {(w.url, w.type.casefold()) for w in listing.webhooks}
        outcomes = await asyncio.gather(
            *(
                self._register_one(event_type, url, (url, event_type.casefold()) in existing)
                for event_type, url in urls.items()
            )
        )
        return dict(zip(urls, outcomes, strict=True))

    async def _register_one(self, event_type: str, url: str, exists: bool) -> ApiOutcome:
        result: ApiOutcome
        if exists:
            result = Outcome(True, Kind.EXISTS, "already registered")
        else:
            body = {"Url": url, "Type": event_type}
            answer = await self._request("POST", self._webhooks, json=body, headers=self._api_headers())
            result = self._judge(answer, "registered")
        log.info("registering the %s webhook (%s): %s", event_type, redact_path(url), result)
        return result

    async def list_webhooks(self) -> WebhookList:
        """``GET {api}/webhooks``; 404/405 means this API cannot list (``Kind.UNSUPPORTED``).

        The answer's shape is undocumented. Assumed: a JSON list of objects, or
        an object with such a list as one of its values; each object has
        ``Url`` and ``Type`` and usually ``Id``, in any key case. Objects
        without a text ``Url`` and ``Type`` are skipped.
        """
        answer = await self._request("GET", self._webhooks, headers=self._api_headers())
        if isinstance(answer, _Answer) and answer.status in (404, 405):
            return WebhookList(_unsupported(answer.status, "listing webhooks"))
        result = self._judge(answer, "listed")
        if not isinstance(answer, _Answer) or not result.ok:
            return WebhookList(result)
        webhooks = _parse_webhooks(answer.body)
        if webhooks is None:
            message = "the list of webhooks is in a shape this version cannot read"
            return WebhookList(Outcome(False, Kind.UNREADABLE, message, status=answer.status))
        found = Outcome(True, Kind.DONE, f"{len(webhooks)} webhook(s) registered", status=answer.status)
        return WebhookList(found, webhooks)

    async def delete_webhook(self, webhook_id: str) -> ApiOutcome:
        """``DELETE {api}/webhooks/{id}``; 404/405 means this API cannot delete (or the id is gone)."""
        answer = await self._request(
            "DELETE", f"{self._webhooks}/{quote(webhook_id, safe='')}", headers=self._api_headers()
        )
        if isinstance(answer, _Answer) and answer.status in (404, 405):
            return _unsupported(answer.status, "deleting webhooks", "or that webhook no longer exists")
        return self._judge(answer, "deleted")

    # --- click-to-call -------------------------------------------------------------------

    async def call(self, extension: str, number: str) -> ApiOutcome:
        """Ring ``extension``, then dial ``number`` (sent as digits only) from it."""
        extension, target = extension.strip(), digits(number)
        if not extension:
            return Outcome(False, Kind.REJECTED, "no extension to call from: set my extension first")
        if not target:
            return Outcome(False, Kind.REJECTED, "the number to call has no digits")
        answer = await self._request(
            "POST",
            f"{self.dashboard_api_url}/call/",
            data={"extension": extension, "target": target},
            headers={"Authorization": self._basic_auth()},
        )
        return self._judge(answer, f"calling {target} from extension {extension}")

    # --- plumbing ------------------------------------------------------------------------

    @property
    def _webhooks(self) -> str:
        return f"{self.api_url}/webhooks"

    def _api_headers(self) -> dict[str, str]:
        return {"X-API-Key": self._key}

    def _basic_auth(self) -> str:
        # By hand: aiohttp 3.14 deprecates BasicAuth, and its replacement is missing before 3.14.
        return "Basic " + base64.b64encode(f"api:{self._key}".encode("ascii")).decode("ascii")

    def _session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this IntulseApi is closed")
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout), headers={"User-Agent": USER_AGENT}
            )
        return self._http

    async def _request(self, method: str, url: str, **kwargs: Any) -> _Answer | ApiOutcome:
        """The answer, or the failure when there was none."""
        try:
            async with self._session().request(method, url, allow_redirects=False, **kwargs) as response:
                return _Answer(url, response.status, await response.text(errors="replace"))
        except NETWORK_ERRORS as exc:
            failure = classify(exc, self.timeout)
            return Outcome(False, failure.kind, f"{failure.message}: {_NETWORK_ADVICE[failure.kind]}")

    def _judge(self, answer: _Answer | ApiOutcome, done: str) -> ApiOutcome:
        """An answer's status in words; ``done`` is the message for success."""
        if isinstance(answer, Outcome):
            return answer
        status = answer.status
        if 200 <= status < 300:
            return Outcome(True, Kind.DONE, done, status=status)
        if status in (401, 403):
            kind, message = Kind.BAD_KEY, "the API key was refused (a typo, or a revoked key?)"
        elif 300 <= status < 400:
            kind, message = Kind.REDIRECTED, "the API answered with a redirect: check the API URL"
        elif status == 404:
            kind, message = Kind.NOT_FOUND, f"{answer.url} was not found: check the API URL"
        elif status >= 500:
            kind, message = Kind.SERVER_ERROR, "Intulse had a server error; try again later"
        else:
            kind, message = Kind.REJECTED, f"Intulse refused it: {self._shown(answer.body)}"
        return Outcome(False, kind, f"HTTP {status}: {message}", status=status)

    def _shown(self, body: str) -> str:
        """Server text fit to show: one line, short, and without the key even if the server echoed it."""
        text = printable(body.replace(self._key, _HIDDEN).strip())
        if not text:
            return "no reason given"
        return text if len(text) <= 200 else text[:200] + "…"


def _unsupported(status: int, what: str, alternative: str = "") -> ApiOutcome:
    message = f"{what} is not supported by this Intulse API (HTTP {status})"
    return Outcome(
        False, Kind.UNSUPPORTED, f"{message}, {alternative}" if alternative else message, status=status
    )


def _parse_webhooks(body: str) -> tuple[Webhook, ...] | None:
    """The webhooks in a listing, or None when it is not a shape we understand."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        lists = [value for value in data.values() if isinstance(value, list)]
        if not lists:
            return None
        data = next((items for items in lists if items), lists[0])
    if not isinstance(data, list):
        return None
    return tuple(webhook for item in data if (webhook := _webhook(item)) is not None)


def _webhook(item: Any) -> Webhook | None:
    if not isinstance(item, dict):
        return None
    fields = {key.casefold(): value for key, value in item.items() if isinstance(key, str)}
    url, event_type, ident = fields.get("url"), fields.get("type"), fields.get("id")
    if not isinstance(url, str) or not isinstance(event_type, str):
        return None
    if isinstance(ident, bool) or not isinstance(ident, str | int):
        ident = None
    return Webhook(None if ident is None else str(ident), url, event_type)
