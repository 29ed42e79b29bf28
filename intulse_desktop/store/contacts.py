"""The address book: the names people know their callers by (migration 5).

Each number is kept as written and by its ``number_key`` (E.164 in the default region),
the key the call log compares, so finding the contact of a ringing call is one index
lookup. A contact comes from a source: ``local`` (added here), ``import`` (a vCard or
CSV file) or ``carddav`` (synced). Imported and synced contacts are found again by
their uid there, so importing or syncing again updates them and never duplicates them;
the VIP flag is this app's own and survives both. A synced contact is read-only here:
its server holds its name.

As every write, these run through the writer (``service.write(lambda store: ...)``) in the
app, or in a transaction of their own (``Store.run_batch``) in a command.

What the rest of the app uses:

- reading (any ``Store``): ``contact_for(number) -> ContactRow | None`` (id, name,
  organisation, vip, source, numbers), ``contact_name_for(number) -> str``,
  ``contact(id)``, ``contacts(search="", limit=None)``, ``count_contacts()``; every
  ``CallRow`` and ``MessageRow`` read carries ``contact_name`` ("" if none), and the call
  log's search finds a contact's calls by the contact's name or organisation;
- writing (through the writer): ``add_contact(name, numbers, organisation="", vip=False)
  -> id``, ``rename_contact(id, name, organisation=None)``, ``add_number(id, number,
  label="")``, ``set_vip(id, vip)``, ``remove_contact(id) -> ContactRow``, and for
  imports ``upsert_contacts("import", contacts) -> ContactChanges`` (a file read by
  ``contacts.files.read_contacts_file``). A change refused raises ``ContactError``,
  whose message is for the user (no name; no digits; no such contact; a synced contact).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from intulse_desktop.matching import normalize_number, number_key
from intulse_desktop.store.connection import Database
from intulse_desktop.store.rows import (
    ContactChanges,
    ContactNumber,
    ContactRow,
    NewContact,
    contact_name_of,
    now_utc,
    to_db_time,
)
from intulse_desktop.store.search import like_pattern

SOURCES = ("local", "import", "carddav")
_CONTACT_COLUMNS = "id, name, organisation, vip, source"
_CONTACT_FOR = (  # one statement: it runs on every delivery
    "SELECT c.id, c.name, c.organisation, c.vip, c.source, n.number, n.label FROM "
    "(SELECT contact_id FROM contact_numbers AS k JOIN contacts AS c ON c.id = k.contact_id "
    "WHERE k.number_key = ? ORDER BY c.vip DESC, c.id LIMIT 1) AS found "
    "JOIN contacts AS c ON c.id = found.contact_id "
    "JOIN contact_numbers AS n ON n.contact_id = c.id ORDER BY n.position"
)


class ContactError(ValueError):
    """A contact that cannot be stored or changed as asked; the message says why."""


class AddressBook(Database):
    # --- reading ---------------------------------------------------------------------------

    def contact_for(self, number: str) -> ContactRow | None:
        """The contact with ``number`` (however it is written), or None: a VIP first where
        contacts share it, then the oldest. Cheap enough for every delivery (an index lookup)."""
        key = number_key(number, self.region)
        if not key:
            return None
        rows = self._db.execute(_CONTACT_FOR, (key,)).fetchall()  # the contact, a row per number
        if not rows:
            return None
        numbers = tuple(ContactNumber(number, label) for *_, number, label in rows)
        id_, name, organisation, vip, source = rows[0][:5]
        return ContactRow(id_, name, organisation, bool(vip), source, numbers)

    def contact_name_for(self, number: str) -> str:
        """The contact's name for ``number``, "" if none (what exports print)."""
        key = number_key(number, self.region)
        if not key:
            return ""
        name: str = self._db.execute(f"SELECT {contact_name_of('?')}", (key,)).fetchone()[0]
        return name

    def contact(self, contact_id: int) -> ContactRow | None:
        row = self._db.execute(
            f"SELECT {_CONTACT_COLUMNS} FROM contacts WHERE id = ?", (contact_id,)
        ).fetchone()
        return None if row is None else self._with_numbers([row])[0]

    def contacts(self, search: str = "", limit: int | None = None) -> list[ContactRow]:
        """Contacts by name (case ignored); ``search`` finds any part of the name or organisation."""
        sql = f"SELECT {_CONTACT_COLUMNS} FROM contacts"
        params: list[Any] = []
        if search.strip():
            sql += r" WHERE name LIKE ? ESCAPE '\' OR organisation LIKE ? ESCAPE '\'"
            params += [like_pattern(search.strip())] * 2
        sql += " ORDER BY name COLLATE NOCASE, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return self._with_numbers(self._db.execute(sql, params).fetchall())

    def count_contacts(self) -> int:
        count: int = self._db.execute("SELECT count(*) FROM contacts").fetchone()[0]
        return count

    def contact_etags(self, source: str) -> dict[str, str]:
        """uid -> etag of every contact from ``source``: what a sync compares with its server."""
        return dict(
            self._db.execute("SELECT source_uid, etag FROM contacts WHERE source = ?", (source,)).fetchall()
        )

    def sync_token(self, book: str) -> str:
        """The sync-token of the last sync of address book ``book`` (a URL), "" for none."""
        row = self._db.execute("SELECT sync_token FROM carddav_books WHERE url = ?", (book,)).fetchone()
        return "" if row is None else str(row[0])

    def _with_numbers(self, rows: list[tuple[Any, ...]]) -> list[ContactRow]:
        numbers: dict[int, list[ContactNumber]] = {row[0]: [] for row in rows}
        ids = list(numbers)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for contact_id, number, label in self._db.execute(
                "SELECT contact_id, number, label FROM contact_numbers "
                f"WHERE contact_id IN ({', '.join('?' * len(chunk))}) ORDER BY contact_id, position",
                chunk,
            ):
                numbers[contact_id].append(ContactNumber(number, label))
        return [
            ContactRow(id_, name, organisation, bool(vip), source, tuple(numbers[id_]))
            for id_, name, organisation, vip, source in rows
        ]

    # --- writing ---------------------------------------------------------------------------

    def add_contact(
        self, name: str, numbers: Iterable[ContactNumber | str], organisation: str = "", vip: bool = False
    ) -> int:
        """Add a local contact; returns its id. ``ContactError`` for no name or a number without digits."""
        contact = NewContact(_name(name), self._numbers(numbers), organisation.strip())
        cursor = self._db.execute(
            "INSERT INTO contacts (name, organisation, vip, source, updated_utc) "
            "VALUES (?, ?, ?, 'local', ?)",
            (contact.name, contact.organisation, vip, to_db_time(now_utc())),
        )
        assert cursor.lastrowid is not None
        self._write_numbers(cursor.lastrowid, contact.numbers)
        return cursor.lastrowid

    def rename_contact(self, contact_id: int, name: str, organisation: str | None = None) -> None:
        """Change a local or imported contact's name (and organisation, if given)."""
        found = self._writable(contact_id)
        self._db.execute(
            "UPDATE contacts SET name = ?, organisation = ?, updated_utc = ? WHERE id = ?",
            (
                _name(name),
                found.organisation if organisation is None else organisation.strip(),
                to_db_time(now_utc()),
                contact_id,
            ),
        )

    def add_number(self, contact_id: int, number: str, label: str = "") -> None:
        """Give a local or imported contact one more number (a no-op if it has it already)."""
        found = self._writable(contact_id)
        keys = {number_key(n.number, self.region) for n in found.numbers}
        [new] = self._numbers([ContactNumber(number, label)])
        if number_key(new.number, self.region) not in keys:
            self._write_numbers(contact_id, (*found.numbers, new))

    def set_vip(self, contact_id: int, vip: bool) -> None:
        """Mark a contact (from any source) VIP, or not: VIPs pop up in quiet hours and do-not-disturb."""
        if self._db.execute("UPDATE contacts SET vip = ? WHERE id = ?", (vip, contact_id)).rowcount != 1:
            raise ContactError(f"there is no contact {contact_id}")

    def remove_contact(self, contact_id: int) -> ContactRow:
        """Remove a contact and its numbers; returns what it was."""
        found = self.contact(contact_id)
        if found is None:
            raise ContactError(f"there is no contact {contact_id}")
        self._db.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
        return found

    def upsert_contacts(self, source: str, contacts: Sequence[NewContact]) -> ContactChanges:
        """Store imported or synced contacts: each one already here (the same source and uid)
        is updated, keeping its VIP flag; the others are added. Contacts without a uid are
        given one from their name and organisation, so a file without UIDs re-imports too."""
        if source not in SOURCES or source == "local":
            raise ContactError(f"contacts cannot be synced into source {source!r}")
        known = {
            uid: (contact_id, etag)
            for uid, contact_id, etag in self._db.execute(
                "SELECT source_uid, id, etag FROM contacts WHERE source = ? AND source_uid != ''", (source,)
            )
        }
        now = to_db_time(now_utc())
        added = updated = unchanged = 0
        for uid, contact in self._by_uid(contacts).items():
            if uid not in known:
                cursor = self._db.execute(
                    "INSERT INTO contacts (name, organisation, source, source_uid, etag, updated_utc) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (contact.name, contact.organisation, source, uid, contact.etag, now),
                )
                assert cursor.lastrowid is not None
                self._write_numbers(cursor.lastrowid, contact.numbers)
                added += 1
                continue
            contact_id, etag = known[uid]
            if etag == contact.etag and self._same(contact_id, contact):
                unchanged += 1
            else:
                self._db.execute(
                    "UPDATE contacts SET name = ?, organisation = ?, etag = ?, updated_utc = ? WHERE id = ?",
                    (contact.name, contact.organisation, contact.etag, now, contact_id),
                )
                self._write_numbers(contact_id, contact.numbers)
                updated += 1
        return ContactChanges(added, updated, unchanged)

    def _by_uid(self, contacts: Sequence[NewContact]) -> dict[str, NewContact]:
        """Contacts checked and keyed by uid; two with one uid (or one name, without uids) are one
        contact with the numbers of both: for caller ID, that name is right for either number."""
        merged: dict[str, NewContact] = {}
        for given in contacts:
            contact = NewContact(
                _name(given.name), self._numbers(given.numbers), given.organisation.strip(), etag=given.etag
            )
            uid = given.uid or _derived_uid(contact)
            first = merged.get(uid)
            if first is not None:
                contact = replace(first, numbers=self._numbers((*first.numbers, *contact.numbers)))
            merged[uid] = contact
        return merged

    def remove_synced(self, source: str, uids: Iterable[str]) -> int:
        """Remove the contacts from ``source`` with these uids (deleted on their server)."""
        return self._db.executemany(  # rowcount: the rows of every statement, summed
            "DELETE FROM contacts WHERE source = ? AND source_uid = ?", ((source, uid) for uid in uids)
        ).rowcount

    def set_sync_token(self, book: str, token: str) -> None:
        self._db.execute(
            "INSERT INTO carddav_books (url, sync_token) VALUES (?, ?) "
            "ON CONFLICT (url) DO UPDATE SET sync_token = excluded.sync_token",
            (book, token),
        )

    def _same(self, contact_id: int, contact: NewContact) -> bool:
        found = self.contact(contact_id)
        assert found is not None
        return (found.name, found.organisation, found.numbers) == (
            contact.name,
            contact.organisation,
            contact.numbers,
        )

    def _writable(self, contact_id: int) -> ContactRow:
        found = self.contact(contact_id)
        if found is None:
            raise ContactError(f"there is no contact {contact_id}")
        if found.source == "carddav":
            raise ContactError(f"{found.name} comes from your CardDAV address book: change it there")
        return found

    def _numbers(self, numbers: Iterable[ContactNumber | str]) -> tuple[ContactNumber, ...]:
        """Each number as E.164 where phonenumbers can read it (else as written), once, labels
        in lower case; ``ContactError`` for a number without digits."""
        result: dict[str, ContactNumber] = {}
        for number in numbers:
            entry = ContactNumber(number) if isinstance(number, str) else number
            key = number_key(entry.number, self.region)
            if not key:
                raise ContactError(f"{entry.number!r} is not a phone number")
            written = normalize_number(entry.number, self.region) or entry.number.strip()
            result.setdefault(key, ContactNumber(written, entry.label.strip().lower()))
        return tuple(result.values())

    def _write_numbers(self, contact_id: int, numbers: Sequence[ContactNumber]) -> None:
        self._db.execute("DELETE FROM contact_numbers WHERE contact_id = ?", (contact_id,))
        self._db.executemany(
            "INSERT INTO contact_numbers (contact_id, position, number, number_key, label) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (contact_id, position, n.number, number_key(n.number, self.region), n.label)
                for position, n in enumerate(numbers)
            ],
        )


def _name(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise ContactError("a contact needs a name")
    return text


def _derived_uid(contact: NewContact) -> str:
    return "name:" + contact.name.casefold() + "\x1f" + contact.organisation.casefold()
