"""Moving this app's Intulse webhooks to a tunnel's new address, and deleting them at the old one.

What was registered is remembered in the data folder (``tunnel-registrations.json``:
the address, and older addresses whose registrations could not be deleted yet),
so a restart of the app still cleans up after the previous run and no more than
one set of this app's registrations is left behind. Only addresses are kept, not
the URLs: those carry the webhook secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from intulse_desktop.atomic import write_atomic
from intulse_desktop.events import EVENT_TYPES
from intulse_desktop.intulse_api import IntulseApi
from intulse_desktop.receiver import webhook_urls


@dataclass
class Registered:
    """Where this app's webhooks are registered (``address``), and where they still must be deleted."""

    address: str | None = None
    stale: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Registered:
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        address = data.get("address")
        stale = data.get("stale")
        return cls(
            address if isinstance(address, str) else None,
            [a for a in stale if isinstance(a, str)] if isinstance(stale, list) else [],
        )

    def save(self, path: Path) -> None:
        text = json.dumps({"address": self.address, "stale": self.stale}, indent=2)
        write_atomic(path, text)


async def move_webhooks(api: IntulseApi, address: str, secret: str, record: Path) -> list[tuple[bool, str]]:
    """Register the four webhooks at ``address``, then delete this app's registrations at the
    addresses it used before; what happened, one (ok, line) per step."""
    said: list[tuple[bool, str]] = []
    previous = Registered.load(record)
    results = await api.register(webhook_urls(address, secret))
    failed = {event_type: result for event_type, result in results.items() if not result.ok}
    if not failed:
        said.append((True, f"Registered the {len(EVENT_TYPES)} webhooks at {address}"))
    else:
        first = next(iter(failed.values()))
        said.append((False, f"Registering at {address} failed for {', '.join(failed)}: {first.message}"))
    old = [a for a in dict.fromkeys([*previous.stale, previous.address]) if a and a != address]
    kept = old
    if old:
        kept, lines = await _delete_at(api, old)
        said.extend(lines)
    Registered(address if len(failed) < len(results) else None, kept).save(record)
    return said


async def _delete_at(api: IntulseApi, addresses: list[str]) -> tuple[list[str], list[tuple[bool, str]]]:
    """Delete the registrations whose URLs start at one of ``addresses``: the addresses still to
    clean up later, and what happened."""
    listing = await api.list_webhooks()
    if not listing.result.ok:
        where = ", ".join(addresses)
        return addresses, [
            (
                False,
                f"Could not delete the old registrations at {where}: {listing.result.message}; "
                "remove them in Intulse (the app tries again at the next change)",
            )
        ]
    kept: list[str] = []
    said: list[tuple[bool, str]] = []
    for address in addresses:
        mine = [w for w in listing.webhooks if w.url.startswith(f"{address}/hooks/")]
        problems = []
        for webhook in mine:
            if webhook.id is None:
                problems.append("Intulse's list of webhooks gives no id to delete them by")
                continue
            result = await api.delete_webhook(webhook.id)
            if not result.ok:
                problems.append(result.message)
        if problems:
            kept.append(address)
            said.append((False, f"Could not delete the old registrations at {address}: {problems[0]}"))
        elif mine:
            said.append((True, f"Deleted the {len(mine)} old registrations at {address}"))
    return kept, said
