"""Validating records of the save file: one outcome per record, each stored before it is told.

    run = ValidationRun(save_file, record_ids, level="account", account_levels=levels,
                        cancel=event)
    for outcome in run.run():      # RecordValidation, in the order of record_ids
        ...
    run.summary                    # ValidationSummary: counts, cancelled

``level`` is "account" (each record at its account's level for its type: ``validate_bib``
or ``validate_auth``) or one of "structure", "basic", "full" for every record. A record
whose account level is "none" is not validated and its stored state is left as it was.

Records are read a hundred at a time, never all at once. States are written in batches (one
commit per 200 records or quarter second) and a record's outcome is yielded only after its
state is committed, so whoever listens can read it from the save file at once. The cancel
event is looked at before each record: a cancelled run still stores and yields what it
validated. The run knows nothing of threads or Qt: the window runs it in a worker thread,
``exportdesk records validate`` in the foreground.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import UsageError
from app.core.marc.summary import RECORD_TYPE_NAMES
from app.core.store.savefile import SaveFile, StoredRecord, StoredValidation, ValidationState
from app.core.validation.messages import ValidationMessage, ValidationResult
from app.core.validation.stored import LEVEL_NAMES, detail_json, state_of

ACCOUNT_LEVELS = "account"


def validate_record(raw: bytes, level: str) -> ValidationResult:
    """The validator's, loaded (with its rule tables) by the first record validated rather
    than by the window, which uses the levels and stored results of this module."""
    from app.core.validation.validator import validate_record as validate

    return validate(raw, level)


LEVEL_CHOICES = (ACCOUNT_LEVELS, "structure", "basic", "full")
FLUSH_RECORDS = 200
FLUSH_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class AccountLevels:
    """The account's validation level per record type (Export Options, Validate Exported
    Records)."""

    bibliographic: str = "full"
    authority: str = "none"

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> AccountLevels:
        """From effective settings' options (``validate_bib``, ``validate_auth``)."""
        return cls(
            str(options.get("validate_bib", "full")),
            str(options.get("validate_auth", "none")),
        )

    def for_type(self, record_type: str) -> str:
        # Holdings records follow the bibliographic level; the validator reports them as
        # not checked in any case.
        return self.authority if record_type == "auth" else self.bibliographic

    def describe(self) -> str:
        """'Bibliographic: Full, Authority: None'."""
        return (
            f"Bibliographic: {LEVEL_NAMES.get(self.bibliographic, self.bibliographic)}, "
            f"Authority: {LEVEL_NAMES.get(self.authority, self.authority)}"
        )


@dataclass(frozen=True, slots=True)
class RecordValidation:
    """What validating one record of the run gave."""

    record_id: int
    position: int  # 1-based, in the order the run was given
    total: int
    number: str  # the list's number column (OCLC number, or else 001)
    title: str
    record_type: str  # "bib", "auth" or "holdings"
    level: str  # the level validated at ("none": not validated)
    state: ValidationState | None  # None: not validated (see ``skipped``)
    messages: tuple[ValidationMessage, ...] = ()
    skipped: str | None = None  # why it was not validated, for a cataloger

    @property
    def fraction(self) -> float:
        return self.position / self.total if self.total else 1.0


@dataclass(slots=True)
class ValidationSummary:
    total: int
    valid: int = 0
    warnings: int = 0
    errors: int = 0
    skipped: int = 0  # not validated: the account's level is None
    missing: int = 0  # no longer in the save file
    cancelled: bool = False
    levels: set[str] = field(default_factory=set)  # the levels records were validated at

    @property
    def done(self) -> int:
        return self.valid + self.warnings + self.errors + self.skipped + self.missing

    def count(self, outcome: RecordValidation) -> None:
        if outcome.state is not None:
            setattr(self, outcome.state, getattr(self, outcome.state) + 1)
            self.levels.add(outcome.level)
        elif outcome.level == "none":
            self.skipped += 1
        else:
            self.missing += 1

    def describe(self) -> str:
        """'Validated 12 records: 3 with errors, 2 with warnings only, 7 valid.'"""
        validated = self.valid + self.warnings + self.errors
        text = f"Validated {validated:,} record{'' if validated == 1 else 's'}"
        if len(self.levels) == 1:
            text += f" at {LEVEL_NAMES.get(next(iter(self.levels)), '?')}"
        parts = [
            f"{count:,} {words}"
            for count, words in (
                (self.errors, "with errors"),
                (self.warnings, "with warnings only"),
                (self.valid, "valid"),
            )
            if count
        ]
        text += (": " + ", ".join(parts) if parts else "") + "."
        if self.skipped:
            text += f" {self.skipped:,} not validated (the account's level is None)."
        if self.missing:
            text += f" {self.missing:,} no longer in the save file."
        if self.cancelled:
            text = f"Validation cancelled after {self.done:,} of {self.total:,}. " + text
        return text


class ValidationRun:
    """Validates save-file records and stores each one's state (see the module's doc)."""

    def __init__(
        self,
        save_file: SaveFile,
        record_ids: Iterable[int],
        *,
        level: str = ACCOUNT_LEVELS,
        account_levels: AccountLevels | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        if level not in LEVEL_CHOICES:
            raise UsageError(
                f"Unknown validation level '{level}'; use one of {', '.join(LEVEL_CHOICES)}."
            )
        self._save_file = save_file
        self._ids = list(dict.fromkeys(record_ids))
        self.level = level
        self.account_levels = account_levels or AccountLevels()
        self._cancel = cancel or threading.Event()
        self.summary = ValidationSummary(len(self._ids))

    @property
    def total(self) -> int:
        return len(self._ids)

    def level_for(self, record_type: str) -> str:
        if self.level == ACCOUNT_LEVELS:
            return self.account_levels.for_type(record_type)
        return self.level

    def run(self) -> Iterator[RecordValidation]:
        pending: list[RecordValidation] = []
        writes: list[StoredValidation] = []
        last_flush = time.monotonic()
        try:
            for position, (record_id, stored) in enumerate(
                self._save_file.stored_records(self._ids), 1
            ):
                if self._cancel.is_set():
                    self.summary.cancelled = True
                    break
                outcome = self._validate(record_id, position, stored)
                pending.append(outcome)
                if outcome.state is not None:
                    writes.append(
                        StoredValidation(
                            record_id, outcome.state, detail_json(outcome.messages), outcome.level
                        )
                    )
                now = time.monotonic()
                if len(pending) >= FLUSH_RECORDS or now - last_flush >= FLUSH_SECONDS:
                    yield from self._flush(pending, writes)
                    last_flush = now
        finally:
            # Also when the caller stops early or something fails: what was validated stays.
            if writes:
                self._save_file.set_validations(writes)
                writes.clear()
        yield from self._flush(pending, writes)

    def _flush(
        self, pending: list[RecordValidation], writes: list[StoredValidation]
    ) -> Iterator[RecordValidation]:
        if writes:
            self._save_file.set_validations(writes)
            writes.clear()
        told = list(pending)
        pending.clear()
        for outcome in told:
            self.summary.count(outcome)
            yield outcome

    def _validate(
        self, record_id: int, position: int, stored: StoredRecord | None
    ) -> RecordValidation:
        if stored is None:
            return RecordValidation(
                record_id,
                position,
                self.total,
                "",
                "",
                "",
                self.level,
                None,
                skipped="This record is no longer in the save file.",
            )
        row = stored.row
        level = self.level_for(row.record_type)
        common = (record_id, position, self.total, row.number, row.title, row.record_type)
        if level == "none":
            kind = RECORD_TYPE_NAMES.get(row.record_type, row.record_type).lower()
            return RecordValidation(
                *common,
                "none",
                None,
                skipped=f"Not validated: the account's validation level for {kind} records is"
                " None. Choose a level (Structure, Basic or Full) to validate it.",
            )
        # "auto": the leader says which format; a holdings record gets one warning.
        result = validate_record(stored.raw, level)
        return RecordValidation(*common, level, state_of(result.messages), tuple(result.messages))


def validate_saved(
    save_file: SaveFile,
    record_ids: Iterable[int],
    *,
    level: str = ACCOUNT_LEVELS,
    account_levels: AccountLevels | None = None,
) -> ValidationSummary:
    """Validate and store, without looking at each outcome."""
    run = ValidationRun(save_file, record_ids, level=level, account_levels=account_levels)
    for _ in run.run():
        pass
    return run.summary
