"""The validation results: a row per message of each record of the last validation (a
record with none has one row saying so), in the order validated.

A flat table, not a tree: Qt lays out a tree's every row after each insertion, which grows
with the run, while a table asks only for the rows on screen, so 100,000 results cost no more
than 100. The model keeps a few numbers per record, not the messages: the rows on screen read
their record's messages from the save file (where the run stored them), a few hundred records
kept at a time. Activating a row (double-click or Enter) asks for that record to be shown,
with the message's field selected.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.store.savefile import VALIDATION_STATE_NAMES
from app.core.validation.messages import ValidationMessage
from app.core.validation.run import RecordValidation
from app.core.validation.stored import LEVEL_NAMES
from app.gui.row_list import set_up_row_list
from app.gui.validation_icons import state_icon

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Record", "Title", "Severity", "Tag", "Where", "Message")
RECORD, TITLE, SEVERITY, TAG, WHERE, MESSAGE = range(len(COLUMNS))
NOT_VALIDATED = "Not validated"
CACHED_RECORDS = 500
MessageLoader = Callable[[int], list[ValidationMessage]]


@dataclass(slots=True)
class ResultEntry:
    """One record of the run."""

    record_id: int
    number: str
    title: str
    state: str | None
    level: str
    errors: int
    warnings: int
    note: str | None

    @classmethod
    def of(cls, outcome: RecordValidation) -> ResultEntry:
        errors = sum(1 for m in outcome.messages if m.severity == "error")
        return cls(
            outcome.record_id,
            outcome.number,
            outcome.title,
            outcome.state,
            outcome.level,
            errors,
            len(outcome.messages) - errors,
            outcome.skipped,
        )

    @property
    def has_problems(self) -> bool:
        return bool(self.errors or self.warnings or self.state is None)

    @property
    def rows(self) -> int:
        return max(1, self.errors + self.warnings)


class ValidationResultsModel(QAbstractTableModel):
    """The rows of the results: (record, its n-th message) or (record, no message)."""

    def __init__(self, load_messages: MessageLoader, parent: Any = None) -> None:
        super().__init__(parent)
        self._load = load_messages
        self._entries: list[ResultEntry] = []
        self._shown: list[int] = []  # entry numbers shown, in order
        self._ends: list[int] = []  # rows up to and including each shown entry
        self._problems_only = False
        self._messages: OrderedDict[int, list[ValidationMessage]] = OrderedDict()

    # -- content ---------------------------------------------------------------------------

    def clear(self) -> None:
        self.beginResetModel()
        self._entries.clear()
        self._shown.clear()
        self._ends.clear()
        self._messages.clear()
        self.endResetModel()

    def add(self, outcomes: Iterable[RecordValidation]) -> None:
        first = len(self._entries)
        self._entries.extend(ResultEntry.of(outcome) for outcome in outcomes)
        shown = [
            n
            for n in range(first, len(self._entries))
            if not self._problems_only or self._entries[n].has_problems
        ]
        if not shown:
            return
        total = self.rowCount()
        added = sum(self._entries[n].rows for n in shown)
        self.beginInsertRows(QModelIndex(), total, total + added - 1)
        self._extend(shown)
        self.endInsertRows()

    def _extend(self, numbers: Iterable[int]) -> None:
        total = self._ends[-1] if self._ends else 0
        for number in numbers:
            total += self._entries[number].rows
            self._shown.append(number)
            self._ends.append(total)

    def set_problems_only(self, problems_only: bool) -> None:
        if problems_only == self._problems_only:
            return
        self.beginResetModel()
        self._problems_only = problems_only
        self._shown.clear()
        self._ends.clear()
        self._extend(
            n for n, entry in enumerate(self._entries) if entry.has_problems or not problems_only
        )
        self.endResetModel()

    @property
    def entries(self) -> list[ResultEntry]:
        """Every record of the run, shown or not."""
        return self._entries

    def _locate(self, row: int) -> tuple[ResultEntry, int]:
        """The record of a row and which of its messages the row shows."""
        place = bisect.bisect_right(self._ends, row)
        start = self._ends[place - 1] if place else 0
        return self._entries[self._shown[place]], row - start

    def entry(self, index: Index) -> ResultEntry | None:
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        return self._locate(index.row())[0]

    def message(self, index: Index) -> ValidationMessage | None:
        """The message a row shows (None for a record without messages)."""
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        entry, number = self._locate(index.row())
        if not (entry.errors or entry.warnings):
            return None
        messages = self._messages_of(entry)
        return messages[number] if number < len(messages) else None

    def _messages_of(self, entry: ResultEntry) -> list[ValidationMessage]:
        messages = self._messages.get(entry.record_id)
        if messages is None:
            messages = self._load(entry.record_id)
            self._messages[entry.record_id] = messages
            if len(self._messages) > CACHED_RECORDS:
                self._messages.popitem(last=False)
        else:
            self._messages.move_to_end(entry.record_id)
        return messages

    # -- Qt's model interface ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() or not self._ends else self._ends[-1]

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        entry, number = self._locate(index.row())
        column = index.column()
        if column in (RECORD, TITLE):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return (entry.number or f"#{entry.record_id}") if column == RECORD else entry.title
            if role == Qt.ItemDataRole.ToolTipRole and column == TITLE:
                return entry.title
            return None
        if not (entry.errors or entry.warnings):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return _record_text(entry, column)
            if role == Qt.ItemDataRole.DecorationRole and column == SEVERITY:
                return state_icon(entry.state)
            if role == Qt.ItemDataRole.ToolTipRole and column == MESSAGE:
                return _record_text(entry, MESSAGE)
            return None
        messages = self._messages_of(entry)
        message = messages[number] if number < len(messages) else None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return _message_text(message, column)
        if role == Qt.ItemDataRole.DecorationRole and column == SEVERITY and message is not None:
            return state_icon(message.severity)
        if role == Qt.ItemDataRole.ToolTipRole and column == MESSAGE and message is not None:
            return f"{message.message} (validated at {LEVEL_NAMES.get(entry.level, entry.level)})"
        return None


def _record_text(entry: ResultEntry, column: int) -> str:
    """A record without messages: valid, or not validated and why."""
    if column == SEVERITY:
        return VALIDATION_STATE_NAMES.get(entry.state or "", NOT_VALIDATED)
    if column == MESSAGE:
        if entry.state is None:
            return entry.note or NOT_VALIDATED
        return f"No problems at {LEVEL_NAMES.get(entry.level, entry.level)}"
    return ""


def _message_text(message: ValidationMessage | None, column: int) -> str:
    if message is None:  # re-imported or validated again since, with fewer messages
        return "Changed or validated again since: see the record pane" if column == MESSAGE else ""
    if column == SEVERITY:
        return "Error" if message.severity == "error" else "Warning"
    if column == TAG:
        occurrence = message.occurrence or 0
        return message.tag + (f" ({occurrence})" if occurrence > 1 else "")
    if column == WHERE:
        return message.where or ""
    if column == MESSAGE:
        return message.message
    return ""


class ValidationPanel(QWidget):
    """The results of the last validation, with a summary line above them."""

    # A record (and the message picked in it, or None) to show in the list and the pane.
    recordActivated = Signal(int, object)
    closeRequested = Signal()

    def __init__(self, load_messages: MessageLoader, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("validationPanel")
        self.model = ValidationResultsModel(load_messages, self)
        self.summary = QLabel("No validation yet. Select records and choose Action > Validate.")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Validation summary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_only = QCheckBox("Hide valid &records")
        self.problems_only.setToolTip(
            "List only the records with errors or warnings, or not validated"
        )
        self.problems_only.toggled.connect(self.model.set_problems_only)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Hide the validation results")
        self.close_button.clicked.connect(self.closeRequested)
        self.close_button.setVisible(False)  # the page shows it when the panel is in the page

        view = QTableView()
        set_up_row_list(view, self.model, "Validation results", several=False)
        view.setShowGrid(False)
        view.activated.connect(self._activated)
        header = view.horizontalHeader()
        header.setStretchLastSection(True)
        metrics = view.fontMetrics()
        for column, sample in (
            (RECORD, "00000000000000"),
            (TITLE, "A title of a good length for"),
            (SEVERITY, "Not validated"),
            (TAG, "000 (00)"),
            (WHERE, "position 00-00"),
        ):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 32)
        self.view = view

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.problems_only)
        top.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(view, 1)

    def start(self, description: str) -> None:
        """A new run: the old results go."""
        self.model.clear()
        self.summary.setText(description)

    def add(self, outcomes: list[RecordValidation]) -> None:
        self.model.add(outcomes)

    def finish(self, text: str) -> None:
        self.summary.setText(text)
        if self.model.rowCount() and not self.view.currentIndex().isValid():
            self.view.setCurrentIndex(self.model.index(0, 0))

    def _activated(self, index: QModelIndex) -> None:
        entry = self.model.entry(index)
        if entry is not None:
            self.recordActivated.emit(entry.record_id, self.model.message(index))
