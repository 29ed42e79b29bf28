"""Finding a call by any part of its name or number, on a log of millions.

A search first scans the calls in the order shown, within a budget (quick when
matches are many). Past it, matches are few, and they are found through a trigram
index (migrations 3 and 4) or, where the index cannot narrow them, in one pass over
the table; LIKE then decides, so every way answers exactly as a scan would. New
calls join the index a batch at a time (``index_calls``, which the writer runs).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from intulse_desktop.matching import digits
from intulse_desktop.store.connection import Database

MAX_PREFIX_TERMS = 200  # a short search beginning more trigrams than this reads the table instead


def like_pattern(text: str) -> str:
    """A LIKE pattern (with ``ESCAPE '\\'``) that finds ``text`` anywhere, wildcards as text."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The contacts whose name or organisation holds the search (store/contacts.py): their calls
# match whatever name the carrier sent. Where few calls are wanted, the contacts' number keys are
# listed once (contact_keys, then calls_by_remote finds the calls); where calls are scanned in
# order, each call's number is looked up instead (contact_holds): listing the keys of every
# contact with an "m" in their name would cost more than the scan itself.
def contact_keys(text: str) -> tuple[str, list[Any]]:
    """SQL for the number keys of the contacts whose name or organisation holds ``text``:
    through their trigram index (migration 5) for 3 or more characters, else by reading them all
    (contacts first: SQLite, without statistics, would rather walk every number)."""
    pattern = like_pattern(text)
    matches = r"(ct.name LIKE ? ESCAPE '\' OR ct.organisation LIKE ? ESCAPE '\')"
    numbers = "CROSS JOIN contact_numbers AS cn ON cn.contact_id = ct.id"
    if len(text) < 3:
        return f"SELECT cn.number_key FROM contacts AS ct {numbers} WHERE {matches}", [pattern, pattern]
    return (
        "SELECT cn.number_key FROM contacts_search "
        f"CROSS JOIN contacts AS ct ON ct.id = contacts_search.rowid {numbers} "
        f"WHERE contacts_search MATCH ? AND {matches}",
        [_all_trigrams(text), pattern, pattern],
    )


def contact_holds(key_column: str) -> str:
    """SQL: the contact with the number in ``key_column`` has the search (two LIKE patterns)."""
    return (
        "EXISTS (SELECT 1 FROM contact_numbers AS cn JOIN contacts AS ct ON ct.id = cn.contact_id "
        f"WHERE cn.number_key = {key_column} AND "
        r"(ct.name LIKE ? ESCAPE '\' OR ct.organisation LIKE ? ESCAPE '\'))"
    )


def search_clause(search: str) -> tuple[str, list[Any]]:
    """Name (the caller's, or a contact's), or the digits of the number as written or as E.164;
    ("", []) for no search."""
    text = search.strip()
    if not text:
        return "", []
    pattern = like_pattern(text)
    clause = r"remote_party_name LIKE ? ESCAPE '\'"
    params = [pattern]
    wanted = digits(text)
    if wanted:
        clause += " OR remote_digits LIKE ? OR remote_key LIKE ?"
        params += [f"%{wanted}%", f"%{wanted}%"]
    clause += " OR " + contact_holds("calls.remote_key")
    return f"({clause})", [*params, pattern, pattern]


def _fts_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _all_trigrams(value: str) -> str:
    """Every trigram of ``value`` (3 or more characters), as one FTS5 query."""
    grams = dict.fromkeys(value[i : i + 3] for i in range(len(value) - 2))
    return "(" + " AND ".join(_fts_string(g) for g in grams) + ")"


class CallSearch(Database):
    """The search index's upkeep, and the ways a search reads the log."""

    # SQLite steps (about 20 ms on a 2-core laptop) a search may scan in the order shown
    # before it looks for its few matches another way: see iter_calls, benchmarks/calllog.py.
    SCAN_BUDGET = 250_000

    calls_to_index: bool  # new calls wait for index_calls (migration 4); the writer asks
    index_backlog: bool  # the last index_calls left more waiting than one batch

    def find_calls_to_index(self) -> None:
        """Set ``calls_to_index`` from the log itself (a log opened with calls still waiting)."""
        self.calls_to_index = self.index_backlog = (
            self._db.execute(
                "SELECT EXISTS (SELECT 1 FROM call_numbers WHERE n > (SELECT upto FROM search_indexed))"
            ).fetchone()[0]
            == 1
        )

    def index_calls(self, limit: int) -> int:
        """Add up to ``limit`` calls that are waiting to the search index; returns how many.

        ``calls_to_index`` stays set while more are waiting.
        """
        (upto,) = self._db.execute("SELECT upto FROM search_indexed").fetchone()
        last = self._db.execute(
            "SELECT max(n), count(*) FROM (SELECT n FROM call_numbers WHERE n > ? ORDER BY n LIMIT ?)",
            (upto, limit),
        ).fetchone()
        self.calls_to_index = self.index_backlog = last[1] == limit
        if not last[1]:
            return 0
        self._db.execute(
            "INSERT INTO calls_search (rowid, remote_party_name, remote_digits, remote_key) "
            "SELECT n, remote_party_name || char(1, 1), remote_digits || char(1, 1), "
            "remote_key || char(1, 1) FROM call_numbers JOIN calls USING (id) WHERE n > ? AND n <= ?",
            (upto, last[0]),
        )
        self._db.execute("UPDATE search_indexed SET upto = ?", (last[0],))
        indexed: int = last[1]
        return indexed

    def _index_query(self, search: str) -> str | None:
        """An FTS5 query for the calls ``search`` may match (LIKE then decides): "" if none can,
        None where the index cannot help (a short text that begins too many trigrams).

        The text (and its digits, if any): 3 or more characters must hold every one of their
        trigrams; fewer must begin one of the index's trigrams, looked up in its vocabulary
        (every value is indexed with two characters of padding, so its last letter begins one).
        """
        text = search.strip()
        parts = []
        for value in dict.fromkeys(filter(None, [text, digits(text)])):
            if len(value) >= 3:
                parts.append(_all_trigrams(value))
                continue
            start = value.lower()
            terms = [
                row[0]
                for row in self._db.execute(
                    "SELECT term FROM calls_search_terms WHERE term >= ? AND term < ? LIMIT ?",
                    (start, start + "\U0010ffff", MAX_PREFIX_TERMS + 1),
                )
            ]
            if len(terms) > MAX_PREFIX_TERMS:
                return None
            if terms:
                parts.append("(" + " OR ".join(_fts_string(term) for term in terms) + ")")
        return " OR ".join(parts)

    def _few_matches(self, search: str, newest: tuple[str, list[Any]] = ("", [])) -> tuple[str, list[Any]]:
        """The calls a search may match, found without walking the log in order: through the
        trigram index, or where it cannot help, in one pass over the table.

        ``newest``: SQL to end the contacts' calls with (a position, an order and a limit), where
        the query wants no more than the page it reads of them: a contact may have thousands."""
        match = self._index_query(search)
        clause, params = search_clause(search)
        if match is None:
            return f"SELECT id FROM calls WHERE {clause}", params
        # Calls not indexed yet (the last moments' worth; see migration 4) are read directly.
        waiting = (
            "SELECT k.id FROM call_numbers AS k JOIN calls USING (id) "
            f"WHERE k.n > (SELECT upto FROM search_indexed) AND {clause}"
        )
        # And the calls of the contacts it names, through calls_by_remote (UNION: no call twice).
        keys, key_params = contact_keys(search.strip())
        window, window_params = newest
        by_contact = f"SELECT id FROM (SELECT id FROM calls WHERE remote_key IN ({keys}){window})"
        key_params = [*key_params, *window_params]
        if not match:
            return f"{waiting} UNION {by_contact}", [*params, *key_params]
        return (
            "SELECT k.id FROM calls_search JOIN call_numbers AS k ON k.n = calls_search.rowid "
            f"WHERE calls_search MATCH ? UNION ALL {waiting} UNION {by_contact}",
            [match, *params, *key_params],
        )

    def _within_budget(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]] | None:
        """All rows of ``sql``, or None if reading them takes more than ``SCAN_BUDGET`` steps."""
        ticks = 0
        allowed = max(0, self.SCAN_BUDGET // 1000)

        def tick() -> bool:
            nonlocal ticks
            ticks += 1
            return ticks > allowed  # True interrupts the statement

        self._db.set_progress_handler(tick, 1000)
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            if ticks <= allowed:
                raise
            return None
        finally:
            self._db.set_progress_handler(None, 0)
