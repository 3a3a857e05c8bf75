"""Importing MARC files into a save file.

The core yields, the caller listens::

    job = ImportJob(save_file, paths, on_duplicate="skip", cancel=event)
    for progress in job.run():
        ...                      # show progress; the window turns these into signals
    job.result                   # ImportResult: counts, errors, warnings

Records are written in batches, each batch one transaction, so a process killed mid-import
keeps every batch committed before it and nothing half-written. A record already in the save
file (same OCLC number, or else the same 003 and 001) is replaced, kept beside the old one,
or skipped, as ``on_duplicate`` says, or as a callback answers for each one.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from app.core.marc.reading import read_records
from app.core.marc.readresults import ReadError, RecordRead
from app.core.marc.summary import RecordSummary, summarize
from app.core.store.history import RevisionSource, save_record
from app.core.store.savefile import RecordRow, SaveFile

DuplicateAction = Literal["replace", "keep", "skip"]
DUPLICATE_ACTIONS: tuple[DuplicateAction, ...] = get_args(DuplicateAction)
_BATCH = 1000  # records per transaction
_PROGRESS_SECONDS = 0.1  # at most this long between two progress reports


@dataclass(frozen=True, slots=True)
class DuplicateQuestion:
    """A record being imported matches one already in the save file."""

    file: str
    record: int  # its number in the file
    new: RecordSummary
    existing: RecordRow


@dataclass(frozen=True, slots=True)
class DuplicateDecision:
    action: DuplicateAction
    apply_to_all: bool = False  # use the same answer for the rest of this import


DuplicatePolicy = DuplicateAction | Callable[[DuplicateQuestion], DuplicateDecision]


@dataclass(frozen=True, slots=True)
class ReadWarning:
    """Something noted about a record that was still imported (a mnemonic kept as text...)."""

    file: str
    record: int
    offset: int
    reason: str

    def describe(self) -> str:
        return f"{self.file}: record {self.record}, byte {self.offset}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportProgress:
    file: str  # the file being read
    file_index: int  # 1-based
    file_count: int
    file_bytes_read: int
    file_size: int
    imported: int  # so far, over all files (replaced ones included)
    skipped: int
    errors: int
    done: bool = False

    @property
    def fraction(self) -> float:
        """How far through the whole import, 0.0 to 1.0, files weighing the same."""
        if self.done:
            return 1.0
        within = self.file_bytes_read / self.file_size if self.file_size else 0.0
        return ((self.file_index - 1) + min(within, 1.0)) / max(self.file_count, 1)


@dataclass
class ImportResult:
    imported: int = 0  # new records and replaced ones
    replaced: int = 0
    skipped: int = 0
    errors: list[ReadError] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)
    cancelled: bool = False
    record_ids: list[int] = field(default_factory=list)  # added or replaced, in order

    def as_dict(self) -> dict[str, object]:
        """The command line's JSON: ``{"imported", "skipped", "errors"}``."""
        return {
            "imported": self.imported,
            "skipped": self.skipped,
            "errors": [error.as_dict() for error in self.errors],
        }


class ImportJob:
    def __init__(
        self,
        save_file: SaveFile,
        paths: Sequence[Path | str],
        on_duplicate: DuplicatePolicy = "skip",
        cancel: threading.Event | None = None,
        batch_size: int = _BATCH,
    ) -> None:
        if isinstance(on_duplicate, str) and on_duplicate not in DUPLICATE_ACTIONS:
            raise ValueError(f"unknown duplicate action {on_duplicate!r}")
        self.save_file = save_file
        self.paths = [Path(p) for p in paths]
        self.cancel = cancel or threading.Event()
        self.batch_size = batch_size
        self.result = ImportResult()
        self._policy = on_duplicate
        self._answer_for_all: DuplicateAction | None = None
        self._source: RevisionSource = "import"  # what a replaced record's history says

    def run(self) -> Iterator[ImportProgress]:
        """Import every file; yields progress after each batch, and once more at the end."""
        for index, path in enumerate(self.paths, start=1):
            if self.cancel.is_set():
                break
            yield from self._import_file(path, index)
        self.result.cancelled = self.cancel.is_set()
        yield self._progress(
            str(self.paths[-1]) if self.paths else "", len(self.paths), 0, 0, done=True
        )

    def _progress(
        self, file: str, index: int, read: int, size: int, done: bool = False
    ) -> ImportProgress:
        return ImportProgress(
            file=file,
            file_index=index,
            file_count=len(self.paths),
            file_bytes_read=read,
            file_size=size,
            imported=self.result.imported,
            skipped=self.result.skipped,
            errors=len(self.result.errors),
            done=done,
        )

    def _import_file(self, path: Path, index: int) -> Iterator[ImportProgress]:
        try:
            yield from self._read_file(path, index)
        except sqlite3.Error as error:
            raise self.save_file.error_for(error) from error

    def _read_file(self, path: Path, index: int) -> Iterator[ImportProgress]:
        name = str(path)
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0
        yield self._progress(name, index, 0, size)
        pending = 0
        last_report = time.monotonic()
        records = read_records(path)
        conn = self.save_file.conn
        try:
            for item in records:
                if self.cancel.is_set():
                    break
                if not conn.in_transaction:
                    self.save_file.ensure_writable()  # a damaged file is never written to
                    conn.execute("BEGIN IMMEDIATE")
                if isinstance(item, ReadError):
                    self.result.errors.append(item)
                    continue
                self._import_record(item)
                pending += 1
                if pending >= self.batch_size or (
                    time.monotonic() - last_report > _PROGRESS_SECONDS and pending
                ):
                    self._commit()
                    pending = 0
                    last_report = time.monotonic()
                    yield self._progress(name, index, item.offset, size)
            self._commit()
        finally:
            records.close()
            if conn.in_transaction:  # an exception: keep what the earlier batches committed
                conn.execute("ROLLBACK")
        yield self._progress(name, index, size, size)

    def _commit(self) -> None:
        if self.save_file.conn.in_transaction:
            self.save_file.conn.execute("COMMIT")

    def _import_record(self, item: RecordRead) -> None:
        summary = summarize(item.parsed)
        for note in item.notes:
            self.result.warnings.append(ReadWarning(item.file, item.number, item.offset, note))
        # Only the newest match matters; asking for all of them made an import of records
        # sharing one key quadratic with "keep" (each one read every earlier one).
        existing = self.save_file.newest_duplicate(summary.duplicate_key)
        action: DuplicateAction = "keep"
        if existing is not None:
            action = self._decide(item, summary, existing)
        if action == "skip":
            self.result.skipped += 1
            return
        if action == "replace" and existing is not None:
            # The replaced version stays in the record's history (store/history.py).
            save_record(
                self.save_file,
                existing,
                item.raw,
                self._source,
                wait=None,
                source_format=item.source_format,
                source_file=item.file,
            )
            self.result.replaced += 1
            record_id = existing
        else:
            record_id = self.save_file.add(
                item.raw, item.source_format, summary, source_file=item.file
            )
        self.result.imported += 1
        self.result.record_ids.append(record_id)

    def _decide(
        self, item: RecordRead, summary: RecordSummary, existing_id: int
    ) -> DuplicateAction:
        if self._answer_for_all is not None:
            return self._answer_for_all
        if isinstance(self._policy, str):
            return self._policy
        # Commit first: the question may wait on a person, and the window's own connection
        # must be able to write (a flag) meanwhile.
        self._commit()
        question = DuplicateQuestion(
            item.file, item.number, summary, self.save_file.get(existing_id)
        )
        decision = self._policy(question)
        if decision.apply_to_all:
            self._answer_for_all = decision.action
        if not self.save_file.conn.in_transaction:
            self.save_file.ensure_writable()
            self.save_file.conn.execute("BEGIN IMMEDIATE")
        return decision.action

    def add_record(self, item: RecordRead) -> int | None:
        """One record read elsewhere (retrieved from a target), in a transaction of its own,
        with the same duplicate handling; its id, or None when it was skipped."""
        count = len(self.result.record_ids)
        self._source = "retrieve"
        try:
            with self.save_file.transaction():
                self._import_record(item)
        except sqlite3.Error as error:
            raise self.save_file.error_for(error) from error
        finally:
            self._source = "import"
        return self.result.record_ids[-1] if len(self.result.record_ids) > count else None


def import_files(
    save_file: SaveFile,
    paths: Sequence[Path | str],
    on_duplicate: DuplicatePolicy = "skip",
    cancel: threading.Event | None = None,
) -> ImportResult:
    """Import to the end without watching progress."""
    job = ImportJob(save_file, paths, on_duplicate, cancel)
    for _ in job.run():
        pass
    return job.result
