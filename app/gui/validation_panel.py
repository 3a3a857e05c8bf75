"""The validation results: one row per record of the last validation, its messages under it.

The panel keeps a few numbers per record, not the messages: a record's messages are read
from the save file (where the run stored them) when its row is first expanded, so a run over
100,000 records costs the window a few megabytes. Activating a row (double-click or Enter)
asks for that record to be shown, with the message's field selected.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.core.savefile import VALIDATION_STATE_NAMES
from app.core.validation.messages import ValidationMessage
from app.core.validation.run import RecordValidation, ValidationSummary
from app.core.validation.stored import LEVEL_NAMES, counts_text
from app.gui.validation_icons import state_icon

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Record", "Title", "Severity", "Tag", "Where", "Message")
RECORD, TITLE, SEVERITY, TAG, WHERE, MESSAGE = range(len(COLUMNS))
# Expand every record with problems when a run has at most this many: one record validated
# from the pane shows its messages at once.
EXPAND_UP_TO = 20
NOT_VALIDATED = "Not validated"
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
    messages: list[ValidationMessage] | None = None  # read when first expanded

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


class ValidationResultsModel(QAbstractItemModel):
    """Records (top level) and their messages (children).

    A child's internal id is its record's entry number plus one; a record's is 0.
    """

    def __init__(self, load_messages: MessageLoader, parent: Any = None) -> None:
        super().__init__(parent)
        self._load = load_messages
        self._entries: list[ResultEntry] = []
        self._shown: list[int] = []  # entry numbers shown, ascending
        self._problems_only = False

    # -- content ---------------------------------------------------------------------------

    def clear(self) -> None:
        self.beginResetModel()
        self._entries.clear()
        self._shown.clear()
        self.endResetModel()

    def add(self, outcomes: Iterable[RecordValidation]) -> None:
        new = [ResultEntry.of(outcome) for outcome in outcomes]
        first = len(self._entries)
        self._entries.extend(new)
        keep_all = not self._problems_only
        shown = [first + n for n, entry in enumerate(new) if keep_all or entry.has_problems]
        if shown:
            self.beginInsertRows(QModelIndex(), len(self._shown), len(self._shown) + len(shown) - 1)
            self._shown.extend(shown)
            self.endInsertRows()

    def set_problems_only(self, problems_only: bool) -> None:
        if problems_only == self._problems_only:
            return
        self.beginResetModel()
        self._problems_only = problems_only
        self._shown = [
            n for n, entry in enumerate(self._entries) if entry.has_problems or not problems_only
        ]
        self.endResetModel()

    @property
    def entries(self) -> list[ResultEntry]:
        return self._entries

    def entry(self, index: Index) -> ResultEntry | None:
        if not index.isValid():
            return None
        number = index.internalId() - 1 if index.internalId() else self._shown[index.row()]
        return self._entries[number]

    def message(self, index: Index) -> ValidationMessage | None:
        """The message of a child row (None for a record's row)."""
        if not index.isValid() or not index.internalId():
            return None
        messages = self._messages(self._entries[index.internalId() - 1])
        return messages[index.row()] if index.row() < len(messages) else None

    def record_index(self, record_id: int) -> QModelIndex:
        for row, number in enumerate(self._shown):
            if self._entries[number].record_id == record_id:
                return self.index(row, 0)
        return QModelIndex()

    def _messages(self, entry: ResultEntry) -> list[ValidationMessage]:
        if entry.messages is None:
            entry.messages = self._load(entry.record_id) if entry.errors + entry.warnings else []
        return entry.messages

    # -- Qt's model interface ----------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(COLUMNS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self._shown) else QModelIndex()
        if parent.internalId():
            return QModelIndex()  # messages have no children
        number = self._shown[parent.row()]
        return self.createIndex(row, column, number + 1)

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid() or not child.internalId():
            return QModelIndex()
        number = child.internalId() - 1
        row = bisect.bisect_left(self._shown, number)
        return self.createIndex(row, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._shown)
        if parent.internalId() or parent.column() != 0:
            return 0
        return len(self._messages(self._entries[self._shown[parent.row()]]))

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if not parent.isValid():
            return bool(self._shown)
        if parent.internalId() or parent.column() != 0:
            return False
        entry = self._entries[self._shown[parent.row()]]
        return bool(entry.errors or entry.warnings)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = index.column()
        if index.internalId():
            message = self.message(index)
            if message is None:
                return None
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return _message_text(message, column)
            if role == Qt.ItemDataRole.DecorationRole and column == SEVERITY:
                return state_icon(message.severity)
            if role == Qt.ItemDataRole.ToolTipRole and column == MESSAGE:
                return message.message
            return None
        entry = self._entries[self._shown[index.row()]]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return _entry_text(entry, column)
        if role == Qt.ItemDataRole.DecorationRole and column == SEVERITY:
            return state_icon(entry.state)
        if role == Qt.ItemDataRole.ToolTipRole and column in (TITLE, MESSAGE):
            return entry.title if column == TITLE else _entry_text(entry, MESSAGE)
        return None


def _entry_text(entry: ResultEntry, column: int) -> str:
    if column == RECORD:
        return entry.number or f"#{entry.record_id}"
    if column == TITLE:
        return entry.title
    if column == SEVERITY:
        return VALIDATION_STATE_NAMES.get(entry.state or "", NOT_VALIDATED)
    if column == MESSAGE:
        if entry.state is None:
            return entry.note or NOT_VALIDATED
        found = _counts(entry) or counts_text([])
        return f"{found[0].upper()}{found[1:]} at {LEVEL_NAMES.get(entry.level, entry.level)}"
    return ""


def _counts(entry: ResultEntry) -> str:
    parts = [
        f"{count:,} {noun}{'' if count == 1 else 's'}"
        for count, noun in ((entry.errors, "error"), (entry.warnings, "warning"))
        if count
    ]
    return ", ".join(parts)


def _message_text(message: ValidationMessage, column: int) -> str:
    if column == SEVERITY:
        return "Error" if message.severity == "error" else "Warning"
    if column == TAG:
        occurrence = f" ({message.occurrence})" if message.occurrence else ""
        return message.tag + (occurrence if message.occurrence and message.occurrence > 1 else "")
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
        self.problems_only = QCheckBox("&Hide valid records")
        self.problems_only.setToolTip(
            "List only the records with errors or warnings, or not validated"
        )
        self.problems_only.toggled.connect(self.model.set_problems_only)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Hide the validation results")
        self.close_button.clicked.connect(self.closeRequested)
        self.close_button.setVisible(False)  # the page shows it when the panel is in the page

        view = QTreeView()
        view.setModel(self.model)
        view.setAccessibleName("Validation results")
        view.setUniformRowHeights(True)  # fast with 100,000 rows
        view.setAlternatingRowColors(True)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setWordWrap(False)
        view.activated.connect(self._activated)
        header = view.header()
        header.setStretchLastSection(True)
        metrics = view.fontMetrics()
        for column, sample in (
            (RECORD, "00000000000000000"),
            (TITLE, "A title of a good length for the list"),
            (SEVERITY, "Not validated"),
            (TAG, "000 (00)"),
            (WHERE, "position 00-00"),
        ):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 32)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
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

    def progress(self, text: str) -> None:
        self.summary.setText(text)

    def finish(self, summary: ValidationSummary | None, text: str) -> None:
        self.summary.setText(text)
        if summary is not None and summary.total <= EXPAND_UP_TO:
            for row in range(self.model.rowCount()):
                index = self.model.index(row, 0)
                if self.model.hasChildren(index):
                    self.view.expand(index)
        if self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(0, 0))

    def _activated(self, index: QModelIndex) -> None:
        entry = self.model.entry(index)
        if entry is not None:
            self.recordActivated.emit(entry.record_id, self.model.message(index))
