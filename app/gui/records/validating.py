"""Validating in the background: the core's ValidationRun in a QThread, its outcomes as
signals in batches (a signal per record would keep the GUI thread busy on 100,000 records)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from app.core.errors import ExportDeskError
from app.core.store.savefile import SaveFile
from app.core.validation.run import AccountLevels, RecordValidation, ValidationRun

BATCH_SECONDS = 0.1


class ValidationWorker(QObject):
    """Runs one validation on its own connection to the save file; lives in a worker thread.

    Signals arrive on the GUI thread (queued): ``validated(list[RecordValidation])`` every
    tenth of a second or so, each state already in the save file; then
    ``finished(ValidationSummary)`` or ``failed(str)``.
    """

    validated = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        save_file_path: Path,
        record_ids: Sequence[int],
        level: str,
        account_levels: AccountLevels,
    ) -> None:
        super().__init__()
        self._path = save_file_path
        self._ids = list(record_ids)
        self._level = level
        self._account_levels = account_levels
        self._cancel = threading.Event()

    @Slot()
    def run(self) -> None:
        batch: list[RecordValidation] = []
        try:
            with SaveFile(self._path) as save_file:
                run = ValidationRun(
                    save_file,
                    self._ids,
                    level=self._level,
                    account_levels=self._account_levels,
                    cancel=self._cancel,
                )
                last = time.monotonic()
                for outcome in run.run():
                    batch.append(outcome)
                    if time.monotonic() - last >= BATCH_SECONDS:
                        self.validated.emit(batch)
                        batch, last = [], time.monotonic()
        except ExportDeskError as error:
            self._send(batch)
            self.failed.emit(error.message)
            return
        except Exception as error:  # never let a worker die silently
            self._send(batch)
            self.failed.emit(f"The validation stopped: {error}")
            return
        self._send(batch)
        self.finished.emit(run.summary)

    def _send(self, batch: list[RecordValidation]) -> None:
        if batch:
            self.validated.emit(batch)

    def cancel(self) -> None:
        """Stop after the current record; the states stored so far stay."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()
