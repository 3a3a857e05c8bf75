"""The export journal, one row per attempt, and the in-flight marks of the records an
export run is handling, which a run killed midway leaves behind for the next to settle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from app.core.store.connection import chunks, placeholders, translated
from app.core.store.flags import Flags
from app.core.store.records import RecordNotFound, Records
from app.core.store.rows import (
    JOURNAL_COLUMNS,
    OUTCOMES,
    JournalEntry,
    Outcome,
    journal_entry,
    named_rows,
    now,
    time_text,
)

# How a record the cataloger marked as exported (found in the local system) is journalled.
MANUAL_DESTINATION = "manual"
MANUAL_DETAIL = "Marked as exported by the cataloger, who found it in the local system"
NOTE_LIMIT = 4096  # characters of a note kept (see add_journal_note)
# Outcomes of an attempt that never reached a host: they leave an unconfirmed status as it is.
_KEEPS_UNCONFIRMED = frozenset({"not_sent", "cancelled", "invalid"})
InFlightStage = Literal["sending", "writing", "published"]
_RECOVERED: dict[str, tuple[Outcome, str]] = {
    "sending": (
        "unconfirmed",
        "ExportDesk stopped during the export before it knew this record's outcome: the host "
        "may have received it. Check the local system before sending it again.",
    ),
    "writing": (
        "cancelled",
        "ExportDesk stopped before the export file was written: this record was not exported.",
    ),
    "published": (
        "exported",
        "Written to the export file; ExportDesk stopped before it could note it.",
    ),
}

# An attempt's journal row; the control number, unless given, the record's.
_APPEND = (
    "INSERT INTO journal (record_id, control_number, time, destination, outcome, host_reply, "
    "detail) SELECT :record_id, coalesce(:control_number, (SELECT coalesce(oclc_number, "
    "control_number) FROM records WHERE id = :record_id)), :time, :destination, :outcome, "
    ":host_reply, :detail"
)
# The record's status after an attempt (see record_outcome).
_SET_STATUS = (
    "UPDATE records SET "
    "status_detail = CASE WHEN :keeps AND status = 'unconfirmed' THEN status_detail "
    "ELSE :status_detail END, "
    "status = CASE WHEN :keeps AND status = 'unconfirmed' THEN status ELSE :outcome END, "
    "last_exported = CASE WHEN :exported THEN :time ELSE last_exported END, "
    "flagged = CASE WHEN :exported THEN 0 ELSE flagged END WHERE id = :record_id"
)


class Journal(Records, Flags):
    """The journal and the in-flight marks (a part of SaveFile)."""

    @translated
    def journal_append(self, entry: JournalEntry) -> int:
        """Add one attempt to the journal; returns its id. The control number, unless given,
        is the record's (in the same statement: this runs for every record exported)."""
        if entry.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {entry.outcome!r}")
        if not self.conn.in_transaction:
            self.ensure_writable()
        cursor = self.conn.execute(
            _APPEND,
            {
                "record_id": entry.record_id,
                "control_number": entry.control_number,
                "time": time_text(entry.time or now()),
                "destination": entry.destination,
                "outcome": entry.outcome,
                "host_reply": entry.host_reply,
                "detail": entry.detail,
            },
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    @translated
    def record_outcome(
        self,
        record_id: int,
        outcome: Outcome,
        destination: str,
        host_reply: str | None = None,
        detail: str | None = None,
        when: datetime | None = None,
    ) -> None:
        """One export attempt, in one commit: the journal row, the status (with the host's
        reply or the detail), and for "exported" the last-exported time and the flag cleared
        (every other outcome keeps the flag).

        An ``unconfirmed`` status stays when the attempt never reached a host (not_sent,
        cancelled, invalid): the host may still have the record from before, so an ordinary
        export must go on leaving it out. The journal has the attempt all the same."""
        self.record_outcomes([(record_id, outcome, host_reply, detail)], destination, when)

    @translated
    def record_outcomes(
        self,
        attempts: Sequence[tuple[int, Outcome, str | None, str | None]],
        destination: str,
        when: datetime | None = None,
    ) -> None:
        """Several attempts, each (record id, outcome, host reply, detail) written as
        :meth:`record_outcome` writes one, all in one commit: an export file's records once
        it is published (three statements for them all, not three for each)."""
        for _, outcome, _, _ in attempts:
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}")
        moment = time_text(when or now())
        rows = [
            {
                "record_id": record_id,
                "control_number": None,
                "time": moment,
                "destination": destination,
                "outcome": outcome,
                "host_reply": reply,
                "detail": detail,
                "keeps": outcome in _KEEPS_UNCONFIRMED,
                "status_detail": detail or reply,
                "exported": outcome == "exported",
            }
            for record_id, outcome, reply, detail in attempts
        ]
        with self.transaction():
            self.conn.executemany(_APPEND, rows)
            self.conn.executemany(_SET_STATUS, rows)
            self.conn.executemany("DELETE FROM in_flight WHERE record_id = :record_id", rows)

    @translated
    def journal(self, record_id: int | None = None, limit: int | None = 100) -> list[JournalEntry]:
        """The newest attempts first, for one record or all."""
        where = " WHERE record_id = ?" if record_id is not None else ""
        params: list[Any] = [record_id] if record_id is not None else []
        rows = named_rows(
            self.conn,
            f"SELECT {JOURNAL_COLUMNS} FROM journal{where} ORDER BY id DESC LIMIT ?",
            [*params, -1 if limit is None else limit],
        )
        return [journal_entry(row) for row in rows]

    @translated
    def mark_exported(self, record_ids: Iterable[int], *, local_id: str | None = None) -> int:
        """The cataloger found these records in the local system: each flagged one gets a
        journal entry with the outcome ``exported`` and the destination ``manual``, its
        status and last-exported time set and its flag cleared, as a real export does.
        ``local_id`` also sets the record's number in the local system (its URL, about the
        old number, is dropped when the number changes).

        Records that are not flagged are left exactly as they are (nothing is waiting to go,
        so there is nothing to settle; flag one first to mark it). Raises
        :class:`RecordNotFound`, changing nothing, when an id is not in the save file.
        Returns how many records were marked."""
        ids = list(dict.fromkeys(record_ids))
        detail = MANUAL_DETAIL + (f" (local system id {local_id})" if local_id else "")
        with self.transaction():
            missing = self.missing(ids)
            if missing:
                raise RecordNotFound(missing)
            marked = self.flagged_among(ids)
            for record_id in marked:
                self.record_outcome(record_id, "exported", MANUAL_DESTINATION, None, detail)
                if local_id:
                    self.conn.execute(
                        "UPDATE records SET local_system_url = CASE WHEN local_system_id IS ? "
                        "THEN local_system_url END, local_system_id = ? WHERE id = ?",
                        (local_id, local_id, record_id),
                    )
        return len(marked)

    @translated
    def add_journal_note(self, record_id: int, note: str) -> None:
        """Add a note to the newest journal entry of a record, keeping its outcome and what
        it already says (``detail; Note: ...``): for what a host sent unasked after the
        record's reply. At most NOTE_LIMIT characters of the note are kept. Raises
        :class:`RecordNotFound` when the record has no journal entry."""
        text = f"Note: {note[:NOTE_LIMIT]}"
        with self.transaction():
            cursor = self.conn.execute(
                "UPDATE journal SET detail = CASE WHEN detail IS NULL OR detail = '' THEN ? "
                "ELSE detail || '; ' || ? END "
                "WHERE id = (SELECT max(id) FROM journal WHERE record_id = ?)",
                (text, text, record_id),
            )
            if cursor.rowcount == 0:
                raise RecordNotFound([record_id])

    @translated
    def mark_in_flight(
        self, record_ids: Iterable[int], destination: str, stage: InFlightStage
    ) -> None:
        """Note that a run is sending (or writing, or has published) these records; the
        mark goes when :meth:`record_outcome` records how each ended."""
        started = time_text(now())
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO in_flight (record_id, destination, stage, started) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (record_id) DO UPDATE SET stage = excluded.stage",
                [(record_id, destination, stage, started) for record_id in record_ids],
            )

    @translated
    def clear_in_flight(self, record_ids: Iterable[int]) -> None:
        """Take the mark off records a run marked but then did not send after all."""
        ids = list(record_ids)
        with self.transaction():
            for chunk in chunks(ids):
                self.conn.execute(
                    f"DELETE FROM in_flight WHERE record_id IN ({placeholders(len(chunk))})", chunk
                )

    @translated
    def in_flight(self) -> list[tuple[int, str, InFlightStage]]:
        rows = named_rows(
            self.conn, "SELECT record_id, destination, stage FROM in_flight ORDER BY record_id"
        )
        return [(row["record_id"], row["destination"], row["stage"]) for row in rows]

    @translated
    def recover_interrupted(self) -> list[JournalEntry]:
        """Give each record a run left unfinished (the process was killed) the outcome it can
        be sure of, with a journal entry saying so: a record that was being sent may have
        reached the host (unconfirmed, still flagged); one written to an export file that
        was never published was not exported (cancelled); one in a published file was.

        Call it only when no export run of this account is active (see app.core.export.run)."""
        entries: list[JournalEntry] = []
        if not self.in_flight():
            return entries  # nothing to write: no transaction (and no check before writing)
        with self.transaction():
            for record_id, destination, stage in self.in_flight():
                outcome, detail = _RECOVERED[stage]
                if not self.missing([record_id]):
                    self.record_outcome(record_id, outcome, destination, None, detail)
                else:
                    self.conn.execute("DELETE FROM in_flight WHERE record_id = ?", (record_id,))
                entries.append(JournalEntry(record_id, outcome, destination, None, detail))
        return entries
