"""Importing in the background: the core's ImportJob in a QThread, its progress as signals,
and the duplicate question put to the cataloger on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from app.core.errors import ExportDeskError
from app.core.store.importer import DuplicateAction, DuplicateDecision, DuplicateQuestion, ImportJob
from app.core.store.savefile import SaveFile


class ImportWorker(QObject):
    """Runs one import on its own connection to the save file; lives in a worker thread.

    Signals arrive on the GUI thread (queued): ``progress(ImportProgress)``,
    ``duplicateFound(DuplicateQuestion)`` (answer with :meth:`answer`),
    ``finished(ImportResult)`` or ``failed(str)``.
    """

    progress = Signal(object)
    duplicateFound = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, save_file_path: Path, files: Sequence[Path | str]) -> None:
        super().__init__()
        self._path = save_file_path
        self._files = list(files)
        self._cancel = threading.Event()
        self._answered = threading.Event()
        self._decision = DuplicateDecision("skip")

    @Slot()
    def run(self) -> None:
        try:
            with SaveFile(self._path) as save_file:
                job = ImportJob(save_file, self._files, self._ask, self._cancel)
                for step in job.run():
                    self.progress.emit(step)
        except ExportDeskError as error:
            self.failed.emit(error.message)
            return
        except Exception as error:  # never let a worker die silently
            self.failed.emit(f"The import stopped: {error}")
            return
        self.finished.emit(job.result)

    def _ask(self, question: DuplicateQuestion) -> DuplicateDecision:
        """Called on the worker thread: wait for the cataloger's answer (or a cancel)."""
        self._answered.clear()
        if self._cancel.is_set():
            return DuplicateDecision("skip", apply_to_all=True)
        self.duplicateFound.emit(question)
        self._answered.wait()
        return self._decision

    def answer(self, decision: DuplicateDecision) -> None:
        """From the GUI thread: the answer to the pending duplicate question."""
        self._decision = decision
        self._answered.set()

    def cancel(self) -> None:
        """Stop after the current record; what was imported so far stays."""
        self._cancel.set()
        self._decision = DuplicateDecision("skip", apply_to_all=True)
        self._answered.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class DuplicateDialog(QDialog):
    """Replace, keep both, or skip a record already in the save file."""

    def __init__(self, question: DuplicateQuestion, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record already in the save file")
        self.question = question
        self.action: DuplicateAction = "skip"
        existing = question.existing
        number = existing.number or "(no number)"
        text = (
            f"Record {question.record} of {Path(question.file).name} is already in the save "
            f"file:<br><br><b>{_escape(number)}</b> {_escape(existing.title)}"
            f"<br><br>The new copy: {_escape(question.new.title)}"
        )
        label = QLabel(text)
        label.setWordWrap(True)
        self.apply_to_all = QCheckBox("&Apply to all duplicates in this import")
        buttons = QDialogButtonBox()
        self.replace_button = QPushButton("&Replace")
        self.replace_button.setToolTip(
            "Put the new copy in place of the saved one (keeps its flag)"
        )
        self.keep_button = QPushButton("&Keep both")
        self.skip_button = QPushButton("&Skip")
        self.skip_button.setToolTip("Leave the saved record as it is")
        for button, role in (
            (self.replace_button, QDialogButtonBox.ButtonRole.AcceptRole),
            (self.keep_button, QDialogButtonBox.ButtonRole.AcceptRole),
            (self.skip_button, QDialogButtonBox.ButtonRole.RejectRole),
        ):
            buttons.addButton(button, role)
        self.replace_button.clicked.connect(lambda: self._choose("replace"))
        self.keep_button.clicked.connect(lambda: self._choose("keep"))
        self.skip_button.clicked.connect(lambda: self._choose("skip"))
        self.skip_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.apply_to_all)
        layout.addWidget(buttons)

    def _choose(self, action: DuplicateAction) -> None:
        self.action = action
        if action == "skip":
            self.reject()
        else:
            self.accept()

    def decision(self) -> DuplicateDecision:
        """What was chosen; closing the dialog (Esc) means skip."""
        return DuplicateDecision(self.action, self.apply_to_all.isChecked())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
