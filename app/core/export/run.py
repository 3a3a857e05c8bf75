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
from dataclasses import dataclass
from pathlib import Path

import filelock
from pymarc import Record

from app.core.errors import ExportDeskError, OptionError
from app.core.export.constant_data import export_template
from app.core.export.filedest import FileExport, FileExportError, export_path
from app.core.export.last_export import note_last_export
from app.core.export.unsettled import lock_path
from app.core.marc.charset import decode_record
from app.core.marc.encode import (
    FORMATS,
    EncodedRecord,
    check_format,
    encode_record,
    encode_utf8_fields,
)
from app.core.marc.encoding_report import ReplacedCharacter
from app.core.marc.fields import delete_fields, deleted_tags, kept_fields
from app.core.marc.iso2709 import build_parsed, build_record, parse_record
from app.core.marc.mrk import with_constant_data
from app.core.marc.recode import marc8_record_to_utf8_parsed, utf8_fields
from app.core.marc.record import ParsedRecord, StructureError
from app.core.net.transport import (
    Cancelled,
    ConnexionClient,
    Resolver,
    SendResult,
    TransportSettings,
)
from app.core.settings.layers import ExportSettings
from app.core.settings.options import TCPIP_FORMAT_PROBLEM, TCPIP_FORMATS
from app.core.store.savefile import (
    OUTCOMES,
    JournalEntry,
    Outcome,
    SaveFile,
    SaveFileError,
    StoredRecord,
)
from app.core.store.templates import Template
from app.core.validation import ValidationResult, validate_record

# Levels at which a record with errors is held back (EXPORT-OPTIONS.md): with none or
# structure, errors are reported and the record still goes.
HOLDING_LEVELS = ("basic", "full")
FILE_FORMATS = FORMATS  # what a file can hold; over TCP/IP only MARC
MESSAGES_IN_DETAIL = 5
# The save file is written about this often during an export over TCP/IP (see to_host),
# marking at most MAX_MARKED records in flight at a time.
WRITE_EVERY = 0.1
MAX_MARKED = 64
# A file export reads this many records from the save file in one query, and marks as many
# in flight ("writing") in one commit: done for each record, the two were a quarter of its time.
READ_AHEAD = 100


class ExportBusy(ExportDeskError):
    """Another export of the same account is running (in this or another ExportDesk)."""


class FormatNeeded(OptionError):
    """The format setting is ``none``: the window asks, the command line needs --format."""

    def __init__(self) -> None:
        super().__init__(
            "format",
            "no export format is chosen (the setting is None, ask at export): choose marc, "
            "marcxml, dc-rdf or dc-html",
        )


@dataclass(frozen=True)
class ExportPlan:
    """Everything a run needs to know, fixed when it starts."""

    destination: str  # "tcpip" or "file"
    fmt: str  # never "none"
    charset: str
    fields_to_delete: tuple[str, ...]
    validate_bib: str
    validate_auth: str
    file_path: Path | None = None
    file_type: str = "individual"
    transport: TransportSettings | None = None
    connection_name: str = ""
    constant_data: str = ""  # a template's name (the connection's setting), or empty
    template: Template | None = None  # that template, once run_export has found it

    @property
    def destination_label(self) -> str:
        """How the journal and the report name the destination (never with a password)."""
        if self.transport is not None:
            where = f"{self.transport.host}:{self.transport.port}"
            return f"TCP/IP {self.connection_name} ({where})" if self.connection_name else where
        return f"file {self.file_path}"


def plan_export(
    settings: ExportSettings, *, fmt: str | None = None, password: str | None = None
) -> ExportPlan:
    """The plan for exporting with these (effective) settings.

    ``fmt`` is the format chosen at export time when the setting is ``none``. Over TCP/IP only
    MARC is sent, so the format is MARC there. Raises :class:`FormatNeeded` when a file export
    has no format, and OptionError for settings that can't work (no host...).
    """
    options = settings.options
    chosen = fmt or options["format"]
    common = {
        "charset": options["charset"],
        "fields_to_delete": tuple(options["fields_to_delete"]),
        "validate_bib": options["validate_bib"],
        "validate_auth": options["validate_auth"],
        "constant_data": str(settings.values_for().get("constant_data") or ""),
    }
    if options["destination"] == "tcpip":
        if chosen not in TCPIP_FORMATS:
            raise OptionError("format", TCPIP_FORMAT_PROBLEM)
        return ExportPlan(
            destination="tcpip",
            fmt="marc",
            transport=TransportSettings.from_options(settings.values_for(), password),
            connection_name=settings.active.name,
            **common,
        )
    if chosen == "none":
        raise FormatNeeded()
    check_format(chosen)
    return ExportPlan(
        destination="file",
        fmt=chosen,
        file_path=export_path(options["file_name"], chosen),
        file_type=options["file_type"],
        **common,
    )


@dataclass(frozen=True)
class RecordStarted:
    """The run is working on this record now (for progress: it is record ``index + 1``)."""

    index: int
    total: int
    record_id: int
    title: str


@dataclass(frozen=True)
class RecordOutcome:
    """How one record's export ended; ``reply`` is the host's text, ``detail`` says why."""

    index: int
    record_id: int
    title: str
    outcome: Outcome
    reply: str | None = None
    detail: str | None = None
    attempts: int = 0
    local_id: str | None = None
    local_url: str | None = None
    warnings: tuple[str, ...] = ()
    replaced: tuple[ReplacedCharacter, ...] = ()  # characters sent as &#xXXXX;, and where

    @property
    def reason(self) -> str:
        return self.detail or self.reply or ""

    def to_json(self) -> dict[str, object]:
        line: dict[str, object] = {
            "id": self.record_id,
            "outcome": self.outcome,
            "reply": self.reply,
        }
        if self.replaced:
            line["replaced"] = [item.as_dict() for item in self.replaced]
        return line


ExportEvent = RecordStarted | RecordOutcome


def summarize(outcomes: Sequence[RecordOutcome]) -> dict[str, int]:
    """Counts per outcome, every outcome listed (0 when none)."""
    counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    for item in outcomes:
        counts[item.outcome] += 1
    return counts


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


@dataclass
class _Ready:
    """A record prepared for sending: what goes out, and what the cataloger should know."""

    encoded: EncodedRecord
    warnings: tuple[str, ...]


@dataclass
class _Prepared:
    """One record as the preparer hands it over: ready to go, or why it can't."""

    index: int
    record_id: int
    title: str
    ready: _Ready | None = None
    problem: str | None = None  # the record is invalid: why


def prepare(raw: bytes, plan: ExportPlan) -> _Ready | str:
    """The copy of a record that will be sent, encoded and validated; or why it can't go.

    The record is parsed once. For MARC out in UTF-8 (or MARC-8 kept as MARC-8), fields are
    deleted straight from the ISO 2709 bytes, a MARC-8 record re-encoded field by field
    first. For the XML formats the parsed fields are turned into UTF-8 (recode.utf8_fields)
    and written from there; only a record out of the ordinary (and UTF-8 to MARC-8) is
    decoded with pymarc, copied without the fields and encoded. What is validated is what a
    MARC export of the same copy would send, handed to the validator already parsed.
    """
    try:
        parsed = parse_record(raw)
    except StructureError as error:
        return f"the record can't be read: {error}"
    if plan.template is not None:  # constant data: after Fields to Delete, before validation
        added = with_constant_data(parsed, plan.fields_to_delete, plan.template.text_fields)
        if added is not parsed:
            try:
                parsed, raw = added, build_record(added.leader, added.fields)
            except StructureError as error:
                return f"with the constant data '{plan.template.name}': {error}"
        plan = dataclasses.replace(plan, fields_to_delete=())
    authority = parsed.leader[6:7] == "z"
    declared = "utf8" if parsed.leader[9:10] == "a" else "marc8"
    try:
        checked_parse: ParsedRecord | None = None
        as_marc = plan.fmt == "marc" or authority
        if as_marc and (declared, plan.charset) == ("marc8", "utf8"):
            raw, parsed = marc8_record_to_utf8_parsed(parsed)
            declared = "utf8"
        fields = None if as_marc else utf8_fields(raw, parsed, plan.fields_to_delete)
        if as_marc and declared == plan.charset:
            kept = kept_fields(parsed.fields, deleted_tags(plan.fields_to_delete))
            if len(kept) == len(parsed.fields):
                data, checked_parse = raw, parsed
            else:
                data, checked_parse = build_parsed(parsed.leader, kept)
            encoded = EncodedRecord(data, "marc", plan.charset)
            checked = data
        elif fields is not None:
            # The leader as the bytes have it (constant data may have rebuilt them).
            leader = raw[:24].decode("latin-1")
            encoded = encode_utf8_fields(leader, fields, plan.fmt)
            checked, checked_parse = build_parsed(leader[:9] + "a" + leader[10:], fields)
        else:
            copy = delete_fields(_parse(raw), plan.fields_to_delete)
            encoded = encode_record(copy, plan.fmt, plan.charset)
            checked = (
                encoded.data
                if encoded.format == "marc"
                else encode_record(copy, "marc", "utf8").data
            )
    except (ExportDeskError, StructureError) as error:
        return str(error)
    except Exception as error:  # pymarc raises many kinds on broken records
        return f"the record can't be read: {error or type(error).__name__}"
    level = plan.validate_auth if authority else plan.validate_bib
    warnings = list(encoded.warnings)
    if level != "none":
        kind = "auth" if authority else "bib"
        result = validate_record(checked, level, kind, parsed=checked_parse)
        if result.has_errors and level in HOLDING_LEVELS:
            return _validation_detail(result, level)
        if result.has_errors:
            warnings.append(f"Sent despite validation errors: {_validation_detail(result, level)}")
    return _Ready(encoded, tuple(warnings))


class _Preparer:
    """Reads and prepares the records of a run in order, one ahead of the sender: the
    next record is prepared while the host works on the current one (see
    ConnexionClient.send's ``while_waiting``).

    The records are read from the save file ``read_ahead`` at a time, with their list
    columns, in one query (a file export reads READ_AHEAD: two queries for each record were
    an eighth of its time); should that read fail, each record of the chunk is read on its
    own, so a record that can't be read is invalid with the reason and the others still go.
    """

    def __init__(
        self, save_file: SaveFile, plan: ExportPlan, ids: list[int], read_ahead: int = 1
    ) -> None:
        self._save_file = save_file
        self._plan = plan
        self._ids = ids
        self._next = 0
        self._ahead: _Prepared | None = None
        self._read_ahead = max(1, read_ahead)
        self._stored: dict[int, StoredRecord | None] = {}

    def next(self) -> _Prepared:
        if self._ahead is None:
            self.prepare_ahead()
        item, self._ahead = self._ahead, None
        assert item is not None
        return item

    def prepare_ahead(self) -> None:
        if self._ahead is not None or self._next >= len(self._ids):
            return
        index, record_id = self._next, self._ids[self._next]
        self._next += 1
        try:
            title, raw = self._read(index, record_id)
        except ExportDeskError as error:
            self._ahead = _Prepared(index, record_id, "", problem=error.message)
            return
        outcome = prepare(raw, self._plan)
        if isinstance(outcome, str):
            self._ahead = _Prepared(index, record_id, title, problem=outcome)
        else:
            self._ahead = _Prepared(index, record_id, title, ready=outcome)

    def _read(self, index: int, record_id: int) -> tuple[str, bytes]:
        """The record's title and bytes; raises ExportDeskError when they can't be read."""
        if record_id not in self._stored:
            self._stored.clear()
            chunk = self._ids[index : index + self._read_ahead]
            with contextlib.suppress(ExportDeskError):  # read one by one below
                self._stored.update(self._save_file.stored_records(chunk, len(chunk)))
        stored = self._stored.pop(record_id, None)
        if stored is None:  # gone from the save file, or the chunk could not be read
            return self._save_file.get(record_id).title, self._save_file.get_raw(record_id)
        return stored.row.title, stored.raw


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
        preparer = _Preparer(self.save_file, self.plan, self.ids)
        answered: list[tuple[_Prepared, SendResult]] = []  # sent; outcome not yet written
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

    def _record_sent(self, item: _Prepared, sent: SendResult) -> RecordOutcome:
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
        written: list[_Prepared] = []
        marked: set[int] = set()  # marked in flight ("writing"); outcome not yet written
        stopped_at: int | None = None
        preparer = _Preparer(self.save_file, self.plan, self.ids, READ_AHEAD)
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
                with self.save_file.transaction():
                    outcomes = [
                        self._record(
                            item,
                            "exported",
                            detail=f"written to {out.destination(item.record_id)}",
                            warnings=item.ready.warnings if item.ready else (),
                            replaced=item.ready.encoded.replaced if item.ready else (),
                        )
                        for item in written
                    ]
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
        self, failed: list[_Prepared], error: FileExportError, stop: int | None = None
    ) -> Iterator[RecordOutcome]:
        """The file could not be written: nothing of it was published, so nothing went; as
        when a host can't be reached, the records after it are not sent either."""
        for item in failed:
            yield self._record(item, "not_sent", detail=error.message)
        end = len(self.ids) if stop is None else stop
        for index in range(failed[-1].index + 1 if failed else 0, end):
            record_id = self.ids[index]
            item = _Prepared(index, record_id, self._title(record_id))
            yield self._record(item, "not_sent", detail=error.message)

    def _cancel_from(self, start: int) -> Iterator[RecordOutcome]:
        for index in range(start, len(self.ids)):
            record_id = self.ids[index]
            item = _Prepared(index, record_id, self._title(record_id))
            yield self._record(item, "cancelled", detail="Cancelled before it was sent.")

    def _title(self, record_id: int) -> str:
        try:
            return self.save_file.get(record_id).title
        except ExportDeskError:
            return ""

    def _settled_outcome(self, item: _Prepared) -> RecordOutcome:
        """A record recovered when the run started: its outcome is already journalled."""
        entry = self.settled[item.record_id]
        return RecordOutcome(
            item.index, item.record_id, item.title, entry.outcome, None, entry.detail
        )

    def _record(self, item: _Prepared, outcome: Outcome, **details: object) -> RecordOutcome:
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


def _drain(outcomes: list[RecordOutcome]) -> Iterator[RecordOutcome]:
    while outcomes:
        yield outcomes.pop(0)


def _parse(raw: bytes) -> Record:
    # Leader/09 says how the record is encoded: 'a' UTF-8, blank MARC-8 (decoded by pymarc,
    # a ligature or double tilde joined as the fast MARC-8 to UTF-8 path does).
    return decode_record(raw)


def _validation_detail(result: ValidationResult, level: str) -> str:
    errors = result.errors
    shown = "; ".join(m.message for m in errors[:MESSAGES_IN_DETAIL])
    more = (
        f" (and {len(errors) - MESSAGES_IN_DETAIL} more)"
        if len(errors) > MESSAGES_IN_DETAIL
        else ""
    )
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} at level {level}: {shown}{more}"
