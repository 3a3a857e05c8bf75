"""One export run: records in, exactly one outcome per record out.

For each record, in order: read it from the save file, remove the fields to delete from the
copy to be sent, encode the copy, validate what will be sent at its type's level, then send it
to the host (one request per record) or write it to the export file. Every outcome goes to the
journal as it happens, in the same commit as the record's status (and, for ``exported``, the
flag cleared), so a run killed at any moment leaves the save file telling the truth; a record
that was on its way when the process died is marked in flight and recovered by the next run.

The run is a plain iterator over :data:`ExportEvent`; it knows nothing of Qt. The window runs
it in a worker thread, the command line in a loop. Only one run per account at a time: two
runs over the same flagged records would send them twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence

import filelock

from app.core.errors import ExportDeskError
from app.core.export.constant_data import export_template
from app.core.export.events import ExportEvent, RecordOutcome, RecordStarted, summarize
from app.core.export.filedest import FileExport, FileExportError
from app.core.export.last_export import note_last_export
from app.core.export.plan import FILE_FORMATS, ExportPlan, FormatNeeded, plan_export
from app.core.export.prepare import (
    HOLDING_LEVELS,
    MESSAGES_IN_DETAIL,
    PreparedRecord,
    Preparer,
    prepare,
)
from app.core.export.unsettled import lock_path
from app.core.marc.encode import EncodedRecord
from app.core.net.transport import Cancelled, ConnexionClient, Resolver, SendResult
from app.core.store.savefile import JournalEntry, Outcome, SaveFile, SaveFileError

# Names imported from here before the split into plan, events and prepare stay importable.
__all__ = [
    "FILE_FORMATS",
    "HOLDING_LEVELS",
    "MAX_MARKED",
    "MESSAGES_IN_DETAIL",
    "READ_AHEAD",
    "WRITE_EVERY",
    "ExportBusy",
    "ExportEvent",
    "ExportPlan",
    "FormatNeeded",
    "RecordOutcome",
    "RecordStarted",
    "plan_export",
    "prepare",
    "run_export",
    "summarize",
]

# The save file is written about this often during an export over TCP/IP (see to_host),
# marking at most MAX_MARKED records in flight at a time.
WRITE_EVERY = 0.1
MAX_MARKED = 64
# A file export reads this many records from the save file in one query, and marks as many
# in flight ("writing") in one commit: done for each record, the two were a quarter of its time.
READ_AHEAD = 100


class ExportBusy(ExportDeskError):
    """Another export of the same account is running (in this or another ExportDesk)."""


def run_export(
    save_file: SaveFile,
    plan: ExportPlan,
    record_ids: Sequence[int],
    *,
    cancel: threading.Event | None = None,
    client: ConnexionClient | None = None,
    resolver: Resolver | None = None,
    after_outcome: Callable[[RecordOutcome], None] | None = None,
) -> Iterator[ExportEvent]:
    """Export the records, yielding a :class:`RecordStarted` and then a
    :class:`RecordOutcome` for each (for a file export the outcomes of the records written
    come once the file is safely published).

    A set ``cancel`` stops before the next record; the records left get ``cancelled``.
    ``client`` lets the window keep a permanent connection across runs. ``after_outcome`` is
    called with each outcome once it is in the save file (holdings on export). ``save_file`` must be
    a connection of the calling thread. Raises :class:`ExportBusy` when another run of the
    account is active.
    """
    if plan.constant_data and plan.template is None:  # no template: nothing is sent
        plan = dataclasses.replace(plan, template=export_template(save_file, plan.constant_data))
    lock = filelock.FileLock(lock_path(save_file), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ExportBusy(
            "Another export of this account is running (in this or another ExportDesk); "
            "wait until it has finished."
        ) from None
    counts: Counter[str] = Counter()  # outcomes of this run: its summary (last_export.py)
    try:
        # A record a killed run left in flight gets its outcome now; the caller chose the
        # records before (leaving unconfirmed ones out), so such a record is not sent: its
        # outcome is the one recovered (it may have reached the host).
        settled = {entry.record_id: entry for entry in save_file.recover_interrupted()}
        run = _Run(
            save_file,
            plan,
            list(dict.fromkeys(record_ids)),
            cancel or threading.Event(),
            settled,
        )
        try:
            events = run.to_host(client, resolver) if plan.destination == "tcpip" else run.to_file()
            # Closed here, not when collected: a consumer stopping early must find what the
            # run did written down (and its in-flight marks settled) before the lock goes.
            with contextlib.closing(events):
                for event in events:
                    if isinstance(event, RecordOutcome):
                        counts[event.outcome] += 1
                    yield event
                    if after_outcome is not None and isinstance(event, RecordOutcome):
                        after_outcome(event)  # holdings on export (export/holdings.py)
        except SaveFileError as error:
            raise SaveFileError(
                f"{error.message} The export stopped there. Every outcome reported so far is "
                "in the save file; a record on its way whose outcome could not be noted "
                "becomes unconfirmed at the next export: check the local system for it "
                "before sending it again."
            ) from error
    finally:
        if counts:
            where = plan.connection_name if plan.destination == "tcpip" else str(plan.file_path)
            note_last_export(save_file.path, counts, plan.destination, where)
        lock.release()


class _Run:
    def __init__(
        self,
        save_file: SaveFile,
        plan: ExportPlan,
        ids: list[int],
        cancel: threading.Event,
        settled: dict[int, JournalEntry] | None = None,
    ) -> None:
        self.save_file = save_file
        self.plan = plan
        self.ids = ids
        self.cancel = cancel
        self.destination = plan.destination_label
        self.settled = settled or {}  # records recovered when the run started: not sent
        self.last_sent: int | None = None  # the record whose reply came last, in this run

    def to_host(
        self, client: ConnexionClient | None, resolver: Resolver | None
    ) -> Generator[ExportEvent]:
        """One request per record, the next record prepared while the host works on this one.

        The save file is written in small batches, not twice per record: one commit writes
        the outcomes the host gave since the last one and marks the records about to go
        (about WRITE_EVERY seconds' worth, at least one) in flight. Should the process die,
        the records marked in flight come back unconfirmed and flagged: never lost, never
        sent twice by ExportDesk, at worst a few more to check than strictly needed. On a
        host taking a tenth of a second or more per record, that is one record at a time.
        """
        assert self.plan.transport is not None
        own_client = client is None
        client = client or ConnexionClient(self.plan.transport, resolver)
        client.start_run()
        preparer = Preparer(self.save_file, self.plan, self.ids)
        answered: list[tuple[PreparedRecord, SendResult]] = []  # sent; outcome not yet written
        marked: set[int] = set()  # marked in flight, not yet sent
        per_record = WRITE_EVERY  # seconds a record takes, estimated as the run goes
        unwinding = False

        def commit(upcoming: Sequence[int] = ()) -> list[RecordOutcome]:
            with self.save_file.transaction():
                written = [self._record_sent(*pair) for pair in answered]
                answered.clear()
                fresh = [
                    record_id
                    for record_id in upcoming
                    if record_id not in marked and record_id not in self.settled
                ]
                if fresh:
                    self.save_file.mark_in_flight(fresh, self.destination, "sending")
                    marked.update(fresh)
            return written

        try:
            for index in range(len(self.ids)):
                if self.cancel.is_set():
                    yield from commit()
                    yield from self._cancel_from(index)
                    return
                item = preparer.next()
                yield RecordStarted(index, len(self.ids), item.record_id, item.title)
                if item.record_id in self.settled:
                    yield from commit()
                    yield self._settled_outcome(item)
                    continue
                if client.halted_reason is not None or item.ready is None:
                    yield from commit()  # the outcomes before it come first
                    if client.halted_reason is not None:  # the host could not be reached
                        yield self._record(item, "not_sent", detail=client.halted_reason)
                    else:
                        yield self._record(item, "invalid", detail=item.problem)
                    continue
                if item.record_id not in marked:
                    ahead = max(1, min(MAX_MARKED, int(WRITE_EVERY / per_record)))
                    yield from commit(self.ids[index : index + ahead])
                marked.discard(item.record_id)
                began = time.monotonic()
                try:
                    sent = client.send(
                        item.ready.encoded.data,
                        index,
                        cancel=self.cancel,
                        while_waiting=preparer.prepare_ahead,
                    )
                except Cancelled:
                    yield from commit()
                    yield from self._cancel_from(index)
                    return
                answered.append((item, sent))
                per_record = 0.8 * per_record + 0.2 * max(time.monotonic() - began, 1e-6)
                if per_record >= WRITE_EVERY:  # a slow host: its reply shows now, not with
                    yield from commit()  # the next record's (which may take as long)
            yield from commit()
        except BaseException:
            unwinding = True
            raise
        finally:
            # The consumer may stop early: what the host said is still written down, and
            # records marked but never sent lose their mark. When the save file can't be
            # written (the reason the run stops), records sent keep their mark and come
            # back unconfirmed: the error already on its way is the one to report.
            try:
                if answered:
                    commit()
                unsent = marked - {item.record_id for item, _ in answered}
                if unsent:
                    self.save_file.clear_in_flight(unsent)
            except SaveFileError:
                if not unwinding:
                    raise
            finally:
                if own_client:
                    client.close()

    def _record_sent(self, item: PreparedRecord, sent: SendResult) -> RecordOutcome:
        reply = sent.reply
        outcome: Outcome = sent.outcome.value
        result = self._record(
            item,
            outcome,
            reply=reply.text if reply is not None else None,
            detail=None if outcome in ("exported", "rejected") else sent.reason,
            attempts=sent.attempts,
            # Only a success gives the record a number in the local system (see _record).
            local_id=reply.local_id if reply is not None and outcome == "exported" else None,
            local_url=reply.local_url if reply is not None and outcome == "exported" else None,
            warnings=item.ready.warnings if item.ready else (),
            replaced=item.ready.encoded.replaced if item.ready else (),
        )
        # Bytes the host sent unasked are noted against the record they follow; no outcome
        # changes (PROTOCOL.md, "Reusing a connection safely").
        previous, self.last_sent = self.last_sent, item.record_id
        if sent.earlier_note:
            target = previous if previous is not None else item.record_id
            self.save_file.add_journal_note(target, sent.earlier_note)
        if sent.note:
            self.save_file.add_journal_note(item.record_id, sent.note)
        return result

    def to_file(self) -> Generator[ExportEvent]:
        """Write the records to the export file, published once all are written.

        Records are marked in flight ("writing") READ_AHEAD at a time, before they are
        written: should the process die, each comes back cancelled (no file was published),
        which is true of those marked but not yet written too. A consumer stopping early
        takes the mark off those never written, as before."""
        assert self.plan.file_path is not None
        written: list[PreparedRecord] = []
        marked: set[int] = set()  # marked in flight ("writing"); outcome not yet written
        stopped_at: int | None = None
        preparer = Preparer(self.save_file, self.plan, self.ids, READ_AHEAD)
        finished = unwinding = False
        try:
            with FileExport(self.plan.file_path, self.plan.file_type, self.plan.fmt) as out:
                for index in range(len(self.ids)):
                    if self.cancel.is_set():
                        stopped_at = index
                        break
                    item = preparer.next()
                    yield RecordStarted(index, len(self.ids), item.record_id, item.title)
                    if item.record_id in self.settled:
                        yield self._settled_outcome(item)
                        continue
                    if item.ready is None:
                        yield self._record(item, "invalid", detail=item.problem)
                        marked.discard(item.record_id)
                        continue
                    if item.record_id not in marked:
                        upcoming = [
                            record_id
                            for record_id in self.ids[index : index + READ_AHEAD]
                            if record_id not in self.settled
                        ]
                        self.save_file.mark_in_flight(upcoming, self.destination, "writing")
                        marked.update(upcoming)
                    try:
                        out.add(item.record_id, item.ready.encoded)
                    except FileExportError as error:
                        finished = True  # every record left gets an outcome below
                        yield from self._file_failed([*written, item], error)
                        return
                    # Its bytes are in the file now: holding every record's until the file
                    # is published would keep the whole export in memory.
                    encoded = item.ready.encoded
                    item.ready.encoded = EncodedRecord(
                        b"", encoded.format, encoded.charset, encoded.warnings, encoded.replaced
                    )
                    written.append(item)
                finished = True  # from here on every record gets an outcome
                try:
                    out.commit()
                except FileExportError as error:
                    yield from self._file_failed(written, error, stop=stopped_at)
                    if stopped_at is not None:
                        yield from self._cancel_from(stopped_at)
                    return
                ids = [item.record_id for item in written]
                self.save_file.mark_in_flight(ids, self.destination, "published")
                outcomes = [
                    RecordOutcome(
                        item.index,
                        item.record_id,
                        item.title,
                        "exported",
                        detail=f"written to {out.destination(item.record_id)}",
                        warnings=item.ready.warnings if item.ready else (),
                        replaced=item.ready.encoded.replaced if item.ready else (),
                    )
                    for item in written
                ]
                self.save_file.record_outcomes(
                    [(o.record_id, o.outcome, o.reply, o.detail) for o in outcomes],
                    self.destination,
                )
                yield from outcomes
            if stopped_at is not None:
                yield from self._cancel_from(stopped_at)
        except BaseException:
            unwinding = True
            raise
        finally:
            # Stopped early: records marked but never written lose their mark (those
            # written to the unpublished file keep it, and come back cancelled).
            unwritten = marked - {item.record_id for item in written}
            if not finished and unwritten:
                try:
                    self.save_file.clear_in_flight(unwritten)
                except SaveFileError:
                    if not unwinding:
                        raise

    def _file_failed(
        self, failed: list[PreparedRecord], error: FileExportError, stop: int | None = None
    ) -> Iterator[RecordOutcome]:
        """The file could not be written: nothing of it was published, so nothing went; as
        when a host can't be reached, the records after it are not sent either."""
        for item in failed:
            yield self._record(item, "not_sent", detail=error.message)
        end = len(self.ids) if stop is None else stop
        for index in range(failed[-1].index + 1 if failed else 0, end):
            record_id = self.ids[index]
            item = PreparedRecord(index, record_id, self._title(record_id))
            yield self._record(item, "not_sent", detail=error.message)

    def _cancel_from(self, start: int) -> Iterator[RecordOutcome]:
        for index in range(start, len(self.ids)):
            record_id = self.ids[index]
            item = PreparedRecord(index, record_id, self._title(record_id))
            yield self._record(item, "cancelled", detail="Cancelled before it was sent.")

    def _title(self, record_id: int) -> str:
        try:
            return self.save_file.get(record_id).title
        except ExportDeskError:
            return ""

    def _settled_outcome(self, item: PreparedRecord) -> RecordOutcome:
        """A record recovered when the run started: its outcome is already journalled."""
        entry = self.settled[item.record_id]
        return RecordOutcome(
            item.index, item.record_id, item.title, entry.outcome, None, entry.detail
        )

    def _record(self, item: PreparedRecord, outcome: Outcome, **details: object) -> RecordOutcome:
        result = RecordOutcome(item.index, item.record_id, item.title, outcome, **details)  # type: ignore[arg-type]
        self.save_file.record_outcome(
            item.record_id, outcome, self.destination, result.reply, result.detail
        )
        # A number in the local system is the record's only when the host took it: a
        # rejected or unconfirmed reply naming one (an old record, a cut reply) proves
        # nothing, and must not replace the number of an earlier, real import.
        if outcome == "exported" and (result.local_id or result.local_url):
            self.save_file.set_local_system_id(item.record_id, result.local_id, result.local_url)
        return result
