"""The list of records the window and ``records list`` show: which records
(:class:`RecordQuery`), in which order, a page at a time; every filter and sort is done by
SQLite, over the ``records`` table's indexed columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from app.core.store.connection import Connection, chunks, placeholders, translated
from app.core.store.rows import (
    RECORD_COLUMNS,
    VALIDATION_STATES,
    RecordRow,
    named_rows,
    record_row,
)
from app.core.store.schema import STATE_RANK, VALIDATION_RANK

# A status filter meaning "never sent anywhere" (the status column is empty).
NOT_EXPORTED = "not_exported"
# A validation filter meaning "never validated" (the state is empty).
NOT_VALIDATED = "not_validated"
SortKey = Literal[
    "added", "flag", "number", "title", "type", "encoding", "status", "validation", "last_exported"
]
_SORT_COLUMNS: dict[str, str] = {
    "added": "id",
    "flag": "flagged",
    "number": "number_sort",
    "title": "title_sort",
    "type": "record_type",
    "encoding": "encoding",
    "status": "status",
    "validation": VALIDATION_RANK,
    "last_exported": "last_exported",
}


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """Which records, in which order: every filter and sort is done by SQLite."""

    text: str = ""  # in the title, 001, 003 or the OCLC number, ignoring case
    flagged_only: bool = False
    status: str | None = None  # None: any; NOT_EXPORTED; or one of OUTCOMES
    sort: SortKey = "added"
    descending: bool = False
    validation: str | None = None  # None: any; NOT_VALIDATED; or one of VALIDATION_STATES


def where_clause(query: RecordQuery) -> tuple[str, list[Any]]:
    """The query's filters as `` WHERE ...`` (or nothing) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    text = query.text.strip().casefold()
    if text:
        clauses.append("instr(search_text, ?) > 0")
        params.append(text)
    if query.flagged_only:
        clauses.append("flagged = 1")
    if query.status == NOT_EXPORTED:
        clauses.append("status IS NULL")
    elif query.status is not None:
        clauses.append("status = ?")
        params.append(query.status)
    if query.validation == NOT_VALIDATED:
        clauses.append(f"{VALIDATION_RANK} = 0")
    elif query.validation is not None:
        clauses.append(f"{VALIDATION_RANK} = ?")
        params.append(STATE_RANK[query.validation])
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def order_clause(query: RecordQuery) -> str:
    """The query's order as `` ORDER BY ...``, ties broken by id."""
    column = _SORT_COLUMNS[query.sort]
    direction = "DESC" if query.descending else "ASC"
    if column == "id":
        return f" ORDER BY id {direction}"
    return f" ORDER BY {column} {direction}, id {direction}"


def page_ids(query: RecordQuery, offset: int, limit: int | None) -> tuple[str, list[Any]]:
    """SQL selecting the ids of rows ``offset`` to ``offset + limit - 1`` of a list (to its
    end when ``limit`` is None), and its parameters."""
    where, params = where_clause(query)
    sql = f"SELECT id FROM records{where}{order_clause(query)} LIMIT ? OFFSET ?"
    return sql, [*params, -1 if limit is None else limit, offset]


class Listing(Connection):
    """The list (a part of SaveFile)."""

    # The filters' SQL, as SaveFile has always offered it (a test reads its query plan).
    _where = staticmethod(where_clause)

    @translated
    def count(self, query: RecordQuery | None = None) -> int:
        where, params = where_clause(query or RecordQuery())
        return int(self.conn.execute(f"SELECT count(*) FROM records{where}", params).fetchone()[0])

    @translated
    def rows(
        self, query: RecordQuery | None = None, offset: int = 0, limit: int | None = None
    ) -> list[RecordRow]:
        """A page of the list: ``limit`` rows from position ``offset`` (all when None)."""
        query = query or RecordQuery()
        where, params = where_clause(query)
        sql = f"SELECT {RECORD_COLUMNS} FROM records{where}{order_clause(query)} LIMIT ? OFFSET ?"
        rows = named_rows(self.conn, sql, [*params, -1 if limit is None else limit, offset])
        return [record_row(row) for row in rows]

    @translated
    def ids(
        self, query: RecordQuery | None = None, offset: int = 0, limit: int | None = None
    ) -> list[int]:
        """Like rows(), the ids only."""
        sql, params = page_ids(query or RecordQuery(), offset, limit)
        return [row[0] for row in self.conn.execute(sql, params)]

    @translated
    def positions(self, query: RecordQuery, record_ids: Iterable[int]) -> dict[int, int]:
        """Where each of these records sits in the list (0-based); absent ones are left out."""
        wanted = list(dict.fromkeys(record_ids))
        if not wanted:
            return {}
        where, params = where_clause(query)
        order = order_clause(query).removeprefix(" ORDER BY ")
        result: dict[int, int] = {}
        for chunk in chunks(wanted):
            sql = (
                f"SELECT id, position FROM (SELECT id, row_number() OVER (ORDER BY {order}) - 1 "
                f"AS position FROM records{where}) WHERE id IN ({placeholders(len(chunk))})"
            )
            for row in named_rows(self.conn, sql, [*params, *chunk]):
                result[row["id"]] = row["position"]
        return result

    @translated
    def validation_counts(self, query: RecordQuery | None = None) -> dict[str, int]:
        """How many of the records a list shows are in each validation state (and
        NOT_VALIDATED), all keys present."""
        where, params = where_clause(query or RecordQuery())
        counts = dict.fromkeys((*VALIDATION_STATES, NOT_VALIDATED), 0)
        rows = named_rows(
            self.conn,
            f"SELECT validation_state AS state, count(*) AS count FROM records{where} "
            "GROUP BY validation_state",
            params,
        )
        for row in rows:
            state = row["state"]
            counts[state if state in counts else NOT_VALIDATED] += row["count"]
        return counts
