"""A record's history: every save keeps the version before it.

    save_record(save_file, record_id, raw, "editor")   # True when the bytes changed
    revisions(save_file, record_id)                    # oldest first, the current one last
    revision_raw(save_file, record_id, 2)              # a version's bytes
    revert(save_file, record_id, 2)                    # adds a revision with those bytes

A record never changed has no rows: its one revision is the record as imported (or
retrieved), dated when its bytes were written. The first change writes that version down as
revision 1; each change after it adds one. The current version's bytes stay in the record's
own row (``raw`` NULL in its revision), so an import costs nothing here.

A save waits while an export run is sending that record (it is marked in flight), keeps the
record's flag and export status, and clears its validation state (which was about the old
bytes). ``changed_since_export`` tells whether it changed after its last export.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from app.core.errors import ExportDeskError, UsageError
from app.core.marc.iso2709 import parse_record
from app.core.marc.readresults import SourceFormat
from app.core.marc.record import StructureError
from app.core.marc.summary import RecordSummary, summarize
from app.core.store.records import RecordNotFound
from app.core.store.rows import named_rows, now, time_text
from app.core.store.savefile import SaveFile

RevisionSource = Literal["import", "retrieve", "editor", "template", "revert"]
REVISION_SOURCES: tuple[RevisionSource, ...] = get_args(RevisionSource)
SOURCE_NAMES: dict[str, str] = {
    "import": "Imported",
    "retrieve": "Retrieved",
    "editor": "Edited",
    "template": "Constant data",
    "revert": "Reverted",
}
WAIT_SECONDS = 30.0  # how long a save waits for an export to finish with the record
_POLL_SECONDS = 0.05
RETRIEVED_PREFIX = "target '"  # how app/core/sources names where a retrieved record came from


class RecordInExport(ExportDeskError):
    """The record is being exported right now; the save can be tried again in a moment."""


@dataclass(frozen=True, slots=True)
class Revision:
    record_id: int
    revision: int  # from 1
    time: datetime
    source: RevisionSource
    current: bool = False  # the record's bytes now

    def to_json(self) -> dict[str, object]:
        return {
            "revision": self.revision,
            "time": self.time.isoformat(timespec="seconds"),
            "source": self.source,
        }


def _first_source(source_file: str | None) -> RevisionSource:
    return "retrieve" if (source_file or "").startswith(RETRIEVED_PREFIX) else "import"


def revisions(save_file: SaveFile, record_id: int) -> list[Revision]:
    """The record's versions, oldest first; the last one is the record now."""
    rows = named_rows(
        save_file.conn,
        "SELECT revision, time, source, raw IS NULL AS current FROM revisions "
        "WHERE record_id = ? ORDER BY revision",
        (record_id,),
    ).fetchall()
    if rows:
        return [
            Revision(
                record_id,
                row["revision"],
                datetime.fromisoformat(row["time"]),
                row["source"],
                bool(row["current"]),
            )
            for row in rows
        ]
    row = named_rows(
        save_file.conn, "SELECT updated_at, source_file FROM records WHERE id = ?", (record_id,)
    ).fetchone()
    if row is None:
        raise RecordNotFound([record_id])
    first = _first_source(row["source_file"])
    return [Revision(record_id, 1, datetime.fromisoformat(row["updated_at"]), first, True)]


def revision_raw(save_file: SaveFile, record_id: int, revision: int) -> bytes:
    """The bytes of one version of the record; UsageError when it has no such revision."""
    row = save_file.conn.execute(
        "SELECT raw FROM revisions WHERE record_id = ? AND revision = ?", (record_id, revision)
    ).fetchone()
    if row is not None:
        return save_file.get_raw(record_id) if row[0] is None else bytes(row[0])
    known = revisions(save_file, record_id)
    if revision == 1 and len(known) == 1:
        return save_file.get_raw(record_id)
    raise UsageError(
        f"record {record_id} has no revision {revision}; it has revisions 1 to {len(known)}"
    )


def in_export(save_file: SaveFile, record_id: int) -> bool:
    """True while an export run has the record in flight (sending it, or writing its file)."""
    row = save_file.conn.execute(
        "SELECT 1 FROM in_flight WHERE record_id = ?", (record_id,)
    ).fetchone()
    return row is not None


def save_record(
    save_file: SaveFile,
    record_id: int,
    raw: bytes,
    source: RevisionSource,
    *,
    wait: float | None = WAIT_SECONDS,
    source_format: SourceFormat | None = None,
    source_file: str | None = None,
) -> bool:
    """Put ``raw`` in place of the record's bytes, keeping the version before as a revision.

    Nothing is written (and False returned) when the bytes are the same. Waits up to
    ``wait`` seconds while an export is sending the record, then raises
    :class:`RecordInExport` (None: no waiting, as for an import, which replaces records
    whatever an export does). ``source_format`` and ``source_file`` change where the record
    says it came from (an import replacing it); by default they stay. Raises StructureError
    for bytes that are not a record."""
    if source not in REVISION_SOURCES:
        raise ValueError(f"unknown revision source {source!r}")
    summary = summarize(parse_record(raw))
    deadline = time.monotonic() + (wait or 0.0)
    while True:
        with save_file.transaction():
            if wait is None or not in_export(save_file, record_id):
                return _save(save_file, record_id, raw, source, summary, source_format, source_file)
        if time.monotonic() >= deadline:
            raise RecordInExport(
                f"Record {record_id} is being exported right now; it was not saved. Save it "
                "again when the export has sent it."
            )
        time.sleep(_POLL_SECONDS)


def _save(
    save_file: SaveFile,
    record_id: int,
    raw: bytes,
    source: RevisionSource,
    summary: RecordSummary,
    source_format: SourceFormat | None,
    source_file: str | None,
) -> bool:
    conn = save_file.conn
    row = named_rows(
        conn,
        "SELECT r.updated_at AS updated_at, r.source_format AS source_format, "
        "r.source_file AS source_file, d.raw AS raw FROM records r "
        "JOIN record_data d ON d.id = r.id WHERE r.id = ?",
        (record_id,),
    ).fetchone()
    if row is None:
        raise RecordNotFound([record_id])
    old_format, old_file, old_raw = row["source_format"], row["source_file"], bytes(row["raw"])
    if old_raw == raw:
        if source_format is not None:  # an import of the same bytes: only where it came from
            save_file.replace(record_id, raw, source_format, summary, source_file=source_file)
        return False
    last = conn.execute(
        "SELECT max(revision) FROM revisions WHERE record_id = ?", (record_id,)
    ).fetchone()[0]
    if last is None:
        conn.execute(
            "INSERT INTO revisions (record_id, revision, time, source, raw) VALUES (?, 1, ?, ?, ?)",
            (record_id, row["updated_at"], _first_source(old_file), old_raw),
        )
        last = 1
    else:
        conn.execute(
            "UPDATE revisions SET raw = ? WHERE record_id = ? AND revision = ?",
            (old_raw, record_id, last),
        )
    journal = conn.execute("SELECT coalesce(max(id), 0) FROM journal").fetchone()[0]
    conn.execute(
        "INSERT INTO revisions (record_id, revision, time, source, after_journal, raw) "
        "VALUES (?, ?, ?, ?, ?, NULL)",
        (record_id, last + 1, time_text(now()), source, journal),
    )
    save_file.replace(
        record_id,
        raw,
        source_format or old_format,
        summary,
        source_file=source_file if source_format is not None else old_file,
    )
    return True


def revert(
    save_file: SaveFile, record_id: int, revision: int, *, wait: float = WAIT_SECONDS
) -> bool:
    """Make an earlier version the record's again, as a new revision (source ``revert``);
    False when the record is that version already."""
    raw = revision_raw(save_file, record_id, revision)
    try:
        return save_record(save_file, record_id, raw, "revert", wait=wait)
    except StructureError as problem:  # pragma: no cover - stored versions were records
        raise UsageError(f"revision {revision} of record {record_id}: {problem}") from problem


def changed_since_export(save_file: SaveFile, record_id: int) -> bool:
    """True when the record was saved (edited, reverted...) after it was last exported."""
    row = named_rows(
        save_file.conn,
        "SELECT (SELECT max(after_journal) FROM revisions WHERE record_id = ?) AS saved, "
        "(SELECT max(id) FROM journal WHERE record_id = ? AND outcome = 'exported') AS exported",
        (record_id, record_id),
    ).fetchone()
    saved, exported = row["saved"], row["exported"]
    return saved is not None and exported is not None and saved >= exported
