"""Reading the log: calls (by any filter, sorted, paged by keyset), texts, presence, deliveries.

Readers (the GUI, the command line, exports) open a ``Store`` of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from intulse_desktop.events import PhoneState
from intulse_desktop.matching import Matcher, digits, number_key
from intulse_desktop.store.rows import (
    CALL_COLUMNS,
    CALL_SORTS,
    PAGE_COLUMNS,
    PAGE_SOURCE_COLUMNS,
    AttachmentRow,
    CallQuery,
    CallRow,
    DeliveryRow,
    MessageRow,
    PresenceRow,
    call_row,
    contact_name_of,
    from_db_time,
    to_db_time,
)
from intulse_desktop.store.search import CallSearch, contact_holds, like_pattern, search_clause

_MESSAGE_COLUMNS = "key, id, from_number, to_number, body, created_utc, " + contact_name_of(
    "messages.from_key"
)
_ALL_CALLS = CallQuery()  # the newest 50


def _newest(query: CallQuery) -> tuple[str, list[Any]]:
    """For a page of a search in time order with no other filter: the newest (or oldest) calls
    of the contacts it names, as many as the page, past its position (through calls_by_remote);
    a filter would drop some of them, so with one every call of theirs is a candidate."""
    filtered = query.outcome or query.direction or query.with_recording or query.since or query.until
    if query.sort != "start_utc" or query.limit is None or filtered or query.mine or query.id is not None:
        return "", []
    descending = query.order == "desc"
    sql, params = "", []
    if query.after is not None:
        sql, params = f" AND (start_utc, id) {'<' if descending else '>'} (?, ?)", list(query.after)
    order = "DESC" if descending else "ASC"
    return f"{sql} ORDER BY start_utc {order}, id {order} LIMIT ?", [*params, query.limit + query.offset]


class LogQueries(CallSearch):
    @staticmethod
    def _mine_clause(mine: Matcher, by_unseen: bool = False) -> tuple[str, list[Any]]:
        """``by_unseen``: for the few unseen missed calls, read through their partial index.
        ("+column" keeps SQLite, which has no statistics, from walking every call of my
        extension instead: 100 ms on a million calls, at every tray refresh.)"""
        parts: list[str] = []
        params: list[Any] = []
        plus = "+" if by_unseen else ""
        if mine.extension:
            parts.append(f"{plus}extension = ?")
            params.append(mine.extension)
        if mine.user_id is not None:
            parts.append(f"{plus}user_id = ?")
            params.append(mine.user_id)
        return ("(" + " OR ".join(parts) + ")" if parts else "0"), params

    def _call_where(self, query: CallQuery) -> tuple[str, list[Any]]:
        clause, params = search_clause(query.search)
        clauses = [clause] if clause else []
        if query.outcome:
            clauses.append("outcome = ?")
            params.append(query.outcome)
        if query.direction:
            clauses.append("direction = ?")
            params.append(query.direction)
        if query.with_recording:
            clauses.append("recording IS NOT NULL AND recording != ''")
        if query.since:
            clauses.append("start_utc >= ?")
            params.append(to_db_time(query.since))
        if query.until:
            clauses.append("start_utc < ?")
            params.append(to_db_time(query.until))
        if query.mine:
            clause, extra = self._mine_clause(query.mine)
            clauses.append(clause)
            params += extra
        if query.id is not None:
            clauses.append("id = ?")
            params.append(query.id)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _source(self, query: CallQuery, few: bool) -> tuple[str, list[Any]]:
        """FROM what: all calls, or (``few``) the search's candidates first, each then looked up
        (CROSS JOIN keeps that order; SQLite would rather walk the log in order probing them)."""
        if not few:
            return "calls", []
        candidates, params = self._few_matches(query.search, _newest(query))
        return f"({candidates}) AS found CROSS JOIN calls USING (id)", params

    def _calls_sql(self, query: CallQuery, few: bool = False) -> tuple[str, list[Any]]:
        if query.sort not in CALL_SORTS:
            raise ValueError(f"cannot sort calls by {query.sort!r}; use one of {', '.join(CALL_SORTS)}")
        source, params = self._source(query, few)
        where, extra = self._call_where(query)
        params += extra
        keys = (
            ["start_utc", "id"]
            if query.sort == "start_utc"
            else [CALL_SORTS[query.sort][0], "start_utc", "id"]
        )
        descending = query.order == "desc"
        if query.after is not None:
            if len(query.after) != len(keys):
                raise ValueError(f"a position in calls sorted by {query.sort} has {len(keys)} values")
            marks = ", ".join("?" * len(keys))
            where += (
                f"{' AND' if where else ' WHERE'} ({', '.join(keys)}) {'<' if descending else '>'} ({marks})"
            )
            params += list(query.after)
        order = ", ".join(f"{key} {'DESC' if descending else 'ASC'}" for key in keys)
        if query.limit is None:
            return f"SELECT {CALL_COLUMNS} FROM {source}{where} ORDER BY {order}", params
        page = f"SELECT {PAGE_SOURCE_COLUMNS} FROM {source}{where} ORDER BY {order} LIMIT ? OFFSET ?"
        return f"SELECT {PAGE_COLUMNS} FROM ({page}) AS page ORDER BY {order}", [
            *params,
            query.limit,
            query.offset,
        ]

    def calls(self, query: CallQuery = _ALL_CALLS) -> list[CallRow]:
        return list(self.iter_calls(query))

    def iter_calls(self, query: CallQuery = _ALL_CALLS) -> Iterator[CallRow]:
        """Calls in the query's order. A search first scans in that order for a moment (quick
        when matches are many); if that was not enough, matches are few: see ``_few_matches``."""
        sql, params = self._calls_sql(query)
        rows: Iterable[tuple[Any, ...]] | None = None
        if query.id is None and query.search.strip():
            rows = self._within_budget(sql, params)
            if rows is None:
                sql, params = self._calls_sql(query, few=True)
        for row in self._db.execute(sql, params) if rows is None else rows:
            yield call_row(row)

    def count_calls(self, query: CallQuery = _ALL_CALLS) -> int:
        where, params = self._call_where(query)
        if query.id is None and query.search.strip():
            rows = self._within_budget(f"SELECT count(*) FROM calls{where}", params)
            if rows is None:
                source, found = self._source(query, few=True)
                rows = self._db.execute(f"SELECT count(*) FROM {source}{where}", found + params).fetchall()
        else:
            rows = self._db.execute(f"SELECT count(*) FROM calls{where}", params).fetchall()
        count: int = rows[0][0]
        return count

    def call(self, call_id: str) -> CallRow | None:
        row = self._db.execute(f"SELECT {CALL_COLUMNS} FROM calls WHERE id = ?", (call_id,)).fetchone()
        return None if row is None else call_row(row)

    def calls_with(self, number: str, limit: int | None = None) -> list[CallRow]:
        """Every call with this number, however it was written, newest first."""
        return self._with_number(
            f"SELECT {CALL_COLUMNS} FROM calls WHERE remote_key = ? ORDER BY start_utc DESC",
            number,
            limit,
            call_row,
        )

    def messages_with(self, number: str, limit: int | None = None) -> list[MessageRow]:
        """Every text from this number, newest first."""
        rows = self._with_number(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE from_key = ? ORDER BY created_utc DESC",
            number,
            limit,
            lambda row: row,
        )
        return self._with_attachments(rows)

    def _with_number(self, sql: str, number: str, limit: int | None, make: Callable[[Any], Any]) -> list[Any]:
        key = number_key(number, self.region)
        if not key:
            return []
        params: list[Any] = [key]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [make(row) for row in self._db.execute(sql, params)]

    def recent_callers(self, mine: Matcher, limit: int = 5) -> list[CallRow]:
        """My latest call with each of the last ``limit`` numbers, newest first."""
        where, params = self._mine_clause(mine)
        sql = (
            f"SELECT {CALL_COLUMNS} FROM calls WHERE id IN ("
            f"SELECT id FROM (SELECT id, remote_key, max(start_utc) AS last FROM calls "
            f"WHERE {where} AND remote_key != '' GROUP BY remote_key ORDER BY last DESC LIMIT ?)"
            ") ORDER BY start_utc DESC"
        )
        return [call_row(row) for row in self._db.execute(sql, [*params, limit])]

    def unseen_missed_count(self, mine: Matcher) -> int:
        where, params = self._mine_clause(mine, by_unseen=True)
        count: int = self._db.execute(
            f"SELECT count(*) FROM calls WHERE outcome = 'missed' AND seen = 0 AND {where}", params
        ).fetchone()[0]
        return count

    def messages(
        self,
        limit: int | None = 50,
        offset: int = 0,
        order: str = "desc",
        *,
        search: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
        after: tuple[str, str] | None = None,
        key: str | None = None,
    ) -> list[MessageRow]:
        """Texts by time; ``search`` looks in the body, the sender's contact name and number (digits),
        ``after`` continues after a ``message_sort_key`` (keyset paging), ``key`` asks about one."""
        direction = "DESC" if order == "desc" else "ASC"
        clauses: list[str] = []
        params: list[Any] = []
        text = search.strip()
        if text:
            wanted = digits(text)
            pattern = like_pattern(text)
            clauses.append(
                r"(body LIKE ? ESCAPE '\'"
                + (" OR from_key LIKE ?" if wanted else "")
                + f" OR {contact_holds('messages.from_key')})"
            )
            params += [pattern, *([f"%{wanted}%"] if wanted else []), pattern, pattern]
        if since:
            clauses.append("created_utc >= ?")
            params.append(to_db_time(since))
        if until:
            clauses.append("created_utc < ?")
            params.append(to_db_time(until))
        if after is not None:
            clauses.append(f"(created_utc, key) {'<' if order == 'desc' else '>'} (?, ?)")
            params += list(after)
        if key is not None:
            clauses.append("key = ?")
            params.append(key)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = (
            f"SELECT {_MESSAGE_COLUMNS} FROM messages{where} "
            f"ORDER BY created_utc {direction}, key {direction}"
        )
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return self._with_attachments(self._db.execute(sql, params).fetchall())

    def _with_attachments(self, rows: list[tuple[Any, ...]]) -> list[MessageRow]:
        by_key: dict[str, list[AttachmentRow]] = {row[0]: [] for row in rows}
        keys = list(by_key)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self._db.execute(
                "SELECT message_key, id, is_image, is_audio, mime_type, name, size_in_bytes, url "
                f"FROM attachments WHERE message_key IN ({marks}) ORDER BY message_key, position",
                chunk,
            ):
                by_key[row[0]].append(
                    AttachmentRow(row[1], bool(row[2]), bool(row[3]), row[4], row[5], row[6], row[7])
                )
        return [
            MessageRow(key, id_, frm, to, body, from_db_time(created), tuple(by_key[key]), contact)
            for key, id_, frm, to, body, created, contact in rows
        ]

    def presence(self, extension: str | None = None) -> list[PresenceRow]:
        sql = (
            "SELECT extension, status, state, connected_line_name, connected_line_number, "
            "updated_utc FROM presence"
        )
        params: tuple[str, ...] = ()
        if extension is not None:
            sql += " WHERE extension = ?"
            params = (extension,)
        return [
            PresenceRow(name, status, PhoneState(state), line_name, line_number, from_db_time(updated))
            for name, status, state, line_name, line_number, updated in self._db.execute(
                sql + " ORDER BY extension", params
            )
        ]

    def deliveries(self, limit: int = 100) -> list[DeliveryRow]:
        return [
            DeliveryRow(
                row[0],
                from_db_time(row[1]),
                row[2],
                row[3],
                bool(row[4]),
                bool(row[5]),
                bool(row[6]),
                row[7],
                row[8],
            )
            for row in self._db.execute(
                "SELECT seq, received_utc, event_type, http_status, stored, is_new, is_mine, "
                "event_key, detail FROM deliveries ORDER BY seq DESC LIMIT ?",
                (limit,),
            )
        ]
