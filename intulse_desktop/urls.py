"""Addresses a user types: an http(s) URL, or a comma list of them (several hubs, NATS servers)."""

from __future__ import annotations

from urllib.parse import urlsplit


def http_url(value: str) -> str:
    """``value`` as an http(s) URL without a trailing slash; ValueError says what is wrong."""
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise ValueError(f"{value!r} cannot have a query or fragment")
    return url


def url_list(value: str | None, schemes: tuple[str, ...], said: str) -> str | None:
    """One URL or several, comma-separated, each without a trailing slash; None when empty."""
    if value is None or not value.strip():
        return None
    urls = []
    for part in value.split(","):
        url = part.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in schemes or not parts.hostname:
            raise ValueError(f"{part.strip()!r} is not a {said} URL")
        urls.append(url)
    return ",".join(dict.fromkeys(urls))
