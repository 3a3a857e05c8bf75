"""Preparing one record for an export run: read, fields deleted, encoded, validated (see run.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

from pymarc import Record

from app.core.errors import ExportDeskError
from app.core.export.plan import ExportPlan
from app.core.marc.charset import decode_record
from app.core.marc.encode import EncodedRecord, encode_record, encode_utf8_fields
from app.core.marc.fields import delete_fields, deleted_tags, kept_fields
from app.core.marc.iso2709 import as_built, build_parsed, build_record, parse_record
from app.core.marc.mrk import with_constant_data
from app.core.marc.recode import marc8_record_to_utf8_parsed, utf8_fields
from app.core.marc.record import StructureError
from app.core.store.savefile import SaveFile, StoredRecord
from app.core.validation.messages import ValidationResult
from app.core.validation.validator import validate_built, validate_record

# Levels at which a record with errors is held back (EXPORT-OPTIONS.md): with none or
# structure, errors are reported and the record still goes.
HOLDING_LEVELS = ("basic", "full")
MESSAGES_IN_DETAIL = 5


@dataclass
class _Ready:
    """A record prepared for sending: what goes out, and what the cataloger should know."""

    encoded: EncodedRecord
    warnings: tuple[str, ...]


@dataclass
class PreparedRecord:
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
    MARC export of the same copy would send, handed to the validator already parsed (for
    the XML formats without writing that copy: iso2709.as_built).
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
    # What is validated, given the level and the record type: the MARC copy that would go.
    check: Callable[[str, str], ValidationResult]
    try:
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
            check = functools.partial(validate_record, data, parsed=checked_parse)
        elif fields is not None:
            # The leader as the bytes have it (constant data may have rebuilt them).
            leader = raw[:24].decode("latin-1")
            encoded = encode_utf8_fields(leader, fields, plan.fmt)
            # Validated as the MARC copy would be, without writing that copy.
            check = functools.partial(
                validate_built, as_built(leader[:9] + "a" + leader[10:], fields)
            )
        else:
            copy = delete_fields(_parse(raw), plan.fields_to_delete)
            encoded = encode_record(copy, plan.fmt, plan.charset)
            checked = (
                encoded.data
                if encoded.format == "marc"
                else encode_record(copy, "marc", "utf8").data
            )
            check = functools.partial(validate_record, checked)
    except (ExportDeskError, StructureError) as error:
        return str(error)
    except Exception as error:  # pymarc raises many kinds on broken records
        return f"the record can't be read: {error or type(error).__name__}"
    level = plan.validate_auth if authority else plan.validate_bib
    warnings = list(encoded.warnings)
    if level != "none":
        result = check(level, "auth" if authority else "bib")
        if result.has_errors and level in HOLDING_LEVELS:
            return validation_detail(result, level)
        if result.has_errors:
            warnings.append(f"Sent despite validation errors: {validation_detail(result, level)}")
    return _Ready(encoded, tuple(warnings))


class Preparer:
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
        self._ahead: PreparedRecord | None = None
        self._read_ahead = max(1, read_ahead)
        self._stored: dict[int, StoredRecord | None] = {}

    def next(self) -> PreparedRecord:
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
            self._ahead = PreparedRecord(index, record_id, "", problem=error.message)
            return
        outcome = prepare(raw, self._plan)
        if isinstance(outcome, str):
            self._ahead = PreparedRecord(index, record_id, title, problem=outcome)
        else:
            self._ahead = PreparedRecord(index, record_id, title, ready=outcome)

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


def _parse(raw: bytes) -> Record:
    # Leader/09 says how the record is encoded: 'a' UTF-8, blank MARC-8 (decoded by pymarc,
    # a ligature or double tilde joined as the fast MARC-8 to UTF-8 path does).
    return decode_record(raw)


def validation_detail(result: ValidationResult, level: str) -> str:
    errors = result.errors
    shown = "; ".join(m.message for m in errors[:MESSAGES_IN_DETAIL])
    more = (
        f" (and {len(errors) - MESSAGES_IN_DETAIL} more)"
        if len(errors) > MESSAGES_IN_DETAIL
        else ""
    )
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} at level {level}: {shown}{more}"
