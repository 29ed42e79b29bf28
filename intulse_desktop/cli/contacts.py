"""The address book: ``contacts import``, ``list``, ``add``, ``remove``, ``vip``, ``sync`` and
``set-password``.

A command writes in a transaction of its own (SQLite makes the running app's writer wait
for it, briefly); a file is read whole before anything is written, so a bad one imports
nothing.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

from intulse_desktop.cli.prompt import set_secret
from intulse_desktop.context import Context, Failed, UsageError
from intulse_desktop.export import write_json
from intulse_desktop.formatting import printable
from intulse_desktop.matching import format_number
from intulse_desktop.secrets import CARDDAV_PASSWORD
from intulse_desktop.store import ContactError, ContactRow, Store

T = TypeVar("T")


def contact_record(row: ContactRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "organisation": row.organisation,
        "vip": row.vip,
        "source": row.source,
        "numbers": [{"number": n.number, "label": n.label} for n in row.numbers],
    }


def cmd_contacts_import(ctx: Context) -> int:
    from intulse_desktop.contacts.fields import ContactFileError
    from intulse_desktop.contacts.files import import_contacts, read_contacts_file

    try:
        found = read_contacts_file(Path(ctx.args.contacts_file))
    except ContactFileError as exc:
        raise UsageError(f"{exc} (nothing was imported)") from None
    with closing(ctx.store()) as store:
        imported = import_contacts(store, found)
    c = imported.changes
    line = f"{c.added} added, {c.updated} updated, {c.unchanged} unchanged"
    if imported.without_numbers:
        line += f"; {imported.without_numbers} without a phone number left out"
    print(line)
    return 0


def cmd_contacts_list(ctx: Context) -> int:
    with closing(ctx.store()) as store:
        rows = store.contacts(ctx.args.search or "")
    if ctx.args.json:
        write_json(map(contact_record, rows), sys.stdout)
        return 0
    region = ctx.settings.default_region
    for row in rows:
        numbers = ", ".join(
            format_number(n.number, region) + (f" ({n.label})" if n.label else "") for n in row.numbers
        )
        organisation = f" · {row.organisation}" if row.organisation and row.organisation != row.name else ""
        flags = " VIP" if row.vip else ""
        print(
            f"{row.id:>6}  {printable(row.name + organisation)}{flags}  [{row.source}]  {printable(numbers)}"
        )
    return 0


def cmd_contacts_add(ctx: Context) -> int:
    with closing(ctx.store()) as store:
        contact_id = _write(
            store,
            lambda s: s.add_contact(
                ctx.args.name, ctx.args.numbers, organisation=ctx.args.organisation or "", vip=ctx.args.vip
            ),
        )
    print(contact_id)
    return 0


def cmd_contacts_remove(ctx: Context) -> int:
    with closing(ctx.store()) as store:
        removed = _write(store, lambda s: s.remove_contact(ctx.args.id))
    print(f"removed {printable(removed.name)}")
    if removed.source == "carddav":
        print(
            "note: it comes back with the next sync unless it is removed on the server too", file=sys.stderr
        )
    return 0


def cmd_contacts_vip(ctx: Context) -> int:
    with closing(ctx.store()) as store:
        _write(store, lambda s: s.set_vip(ctx.args.id, not ctx.args.off))
    return 0


def cmd_contacts_sync(ctx: Context) -> int:
    from intulse_desktop.contacts.carddav import CardDavError
    from intulse_desktop.contacts.sync import ContactsSync, NotConfigured

    with closing(ctx.store()) as store:

        async def apply(job: Callable[[Store], T]) -> T:
            return _write(store, job)

        syncing = ContactsSync(lambda: ctx.settings, lambda: ctx.secrets.get(CARDDAV_PASSWORD), apply)
        try:
            result = asyncio.run(syncing.sync())
        except NotConfigured as exc:
            raise UsageError(str(exc)) from None
        except CardDavError as exc:
            raise Failed(f"contacts sync failed: {exc}") from None
    print(result.describe())
    return 0


def cmd_contacts_set_password(ctx: Context) -> int:
    set_secret(ctx, CARDDAV_PASSWORD, "CardDAV app password", chars="\r\n")
    return 0


def _write(store: Store, job: Callable[[Store], T]) -> T:
    """Run ``job`` in a transaction of its own; a refused change is bad usage (exit 2)."""
    try:
        with store.transaction():
            return job(store)
    except ContactError as exc:
        raise UsageError(str(exc)) from None
