"""What is marked on records: the cataloger's flags (what an export sends), the export
status, and the validator's state.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from app.core.store.connection import Connection, chunks, placeholders, translated
from app.core.store.listing import RecordQuery, page_ids
from app.core.store.records import RecordNotFound
from app.core.store.rows import (
    VALIDATION_STATES,
    StoredValidation,
    ValidationState,
    now,
    time_text,
)


class Flags(Connection):
    """Flags, statuses and validation states (a part of SaveFile)."""

    @translated
    def set_flagged(self, record_ids: Iterable[int], flagged: bool) -> int:
        """Flag or unflag these records; returns how many changed."""
        ids = list(dict.fromkeys(record_ids))
        changed = 0
        with self.transaction():
            for chunk in chunks(ids):
                cursor = self.conn.execute(
                    f"UPDATE records SET flagged = ? WHERE flagged != ? "
                    f"AND id IN ({placeholders(len(chunk))})",
                    [int(flagged), int(flagged), *chunk],
                )
                changed += cursor.rowcount
        return changed

    def flag(self, record_ids: Iterable[int]) -> int:
        return self.set_flagged(record_ids, True)

    def unflag(self, record_ids: Iterable[int]) -> int:
        return self.set_flagged(record_ids, False)

    @translated
    def set_flagged_in_range(
        self, query: RecordQuery, offset: int, limit: int, flagged: bool
    ) -> int:
        """Flag or unflag the rows a list shows from ``offset`` on (a selection of thousands
        of rows is one statement, not thousands of ids); returns how many changed."""
        sql, params = page_ids(query, offset, limit)
        with self.transaction():
            return self.conn.execute(
                f"UPDATE records SET flagged = ? WHERE flagged != ? AND id IN ({sql})",
                [int(flagged), int(flagged), *params],
            ).rowcount

    @translated
    def flagged_in_range(self, query: RecordQuery, offset: int, limit: int) -> int:
        """How many of those rows are flagged."""
        sql, params = page_ids(query, offset, limit)
        row = self.conn.execute(
            f"SELECT count(*) FROM records WHERE flagged = 1 AND id IN ({sql})", params
        ).fetchone()
        return int(row[0])

    @translated
    def flagged_among(self, record_ids: Iterable[int]) -> list[int]:
        """Those of ``record_ids`` that are flagged."""
        ids = list(dict.fromkeys(record_ids))
        flagged: list[int] = []
        for chunk in chunks(ids):
            rows = self.conn.execute(
                f"SELECT id FROM records WHERE flagged = 1 AND id IN ({placeholders(len(chunk))})",
                chunk,
            )
            flagged.extend(row[0] for row in rows)
        return flagged

    @translated
    def flag_all(self) -> int:
        with self.transaction():
            return self.conn.execute("UPDATE records SET flagged = 1 WHERE flagged = 0").rowcount

    @translated
    def unflag_all(self) -> int:
        with self.transaction():
            return self.conn.execute("UPDATE records SET flagged = 0 WHERE flagged = 1").rowcount

    @translated
    def flagged_ids(self) -> list[int]:
        """The records an export would send, in the order they were added."""
        return [
            row[0]
            for row in self.conn.execute("SELECT id FROM records WHERE flagged = 1 ORDER BY id")
        ]

    @translated
    def flagged_count(self) -> int:
        return int(
            self.conn.execute("SELECT count(*) FROM records WHERE flagged = 1").fetchone()[0]
        )

    @translated
    def set_validation(
        self,
        record_id: int,
        state: ValidationState | None,
        detail: str | None = None,
        *,
        level: str | None = None,
        when: datetime | None = None,
    ) -> None:
        """What the validator found at ``level``: "valid", "warnings" or "errors", and the
        messages as ``detail`` (app.core.validation.stored); None clears the state."""
        with self.transaction():
            if self.set_validations([StoredValidation(record_id, state, detail, level, when)]):
                return
            raise RecordNotFound([record_id])

    @translated
    def set_validations(self, validations: Iterable[StoredValidation]) -> int:
        """Store many validation states in one commit; records no longer in the save file
        are passed over. Returns how many records were updated."""
        stamp = time_text(now())
        changed = 0
        with self.transaction():
            for item in validations:
                if item.state is not None and item.state not in VALIDATION_STATES:
                    raise ValueError(f"unknown validation state {item.state!r}")
                cleared = item.state is None
                changed += self.conn.execute(
                    "UPDATE records SET validation_state = ?, validation_detail = ?, "
                    "validation_level = ?, validated_at = ? WHERE id = ?",
                    (
                        item.state,
                        None if cleared else item.detail,
                        None if cleared else item.level,
                        None if cleared else (time_text(item.when) if item.when else stamp),
                        item.record_id,
                    ),
                ).rowcount
        return changed
