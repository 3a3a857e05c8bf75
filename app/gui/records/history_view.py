"""A record's History: its versions (when, and what changed it), and for the one picked a
field-by-field comparison with the record as it is now; Revert makes it the record's again."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.core.errors import ExportDeskError
from app.core.marc.compare import FieldChange, compare_fields
from app.core.marc.iso2709 import parse_record
from app.core.marc.mrk import record_lines
from app.core.marc.record import StructureError
from app.core.store.history import (
    SOURCE_NAMES,
    Revision,
    changed_since_export,
    revert,
    revision_raw,
    revisions,
)
from app.core.store.savefile import SaveFile
from app.gui import messages

CHANGE_NAMES = {
    "same": "",
    "changed": "Changed",
    "added": "Added since",
    "removed": "Removed since",
}
CHANGE_COLOURS = {
    "changed": QColor(255, 193, 7, 70),
    "added": QColor(76, 175, 80, 70),
    "removed": QColor(244, 67, 54, 60),
}


def _lines(raw: bytes) -> list[str]:
    try:
        return record_lines(parse_record(raw))
    except StructureError as problem:
        return [f"(this version can't be read: {problem})"]


class HistoryDialog(QDialog):
    """``reverted(record_id)`` after a Revert saved an earlier version."""

    reverted = Signal(int)

    def __init__(self, save_file: SaveFile, record_id: int, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"History of record {record_id}")
        self.setObjectName("historyDialog")
        self._save_file = save_file
        self.record_id = record_id
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.versions = QTableWidget(0, 3)
        self.versions.setAccessibleName("Versions")
        self.versions.setHorizontalHeaderLabels(["Revision", "Time", "What changed it"])
        self.versions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.versions.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.versions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.versions.verticalHeader().hide()
        self.versions.horizontalHeader().setStretchLastSection(True)
        self.versions.currentCellChanged.connect(lambda *_: self._compare())
        self.comparison = QTableWidget(0, 3)
        self.comparison.setAccessibleName("Field by field comparison")
        self.comparison.setHorizontalHeaderLabels(["", "This version", "Now"])
        self.comparison.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.comparison.setWordWrap(True)
        self.comparison.verticalHeader().hide()
        header = self.comparison.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.revert_button = QPushButton("&Revert to This Version")
        self.revert_button.clicked.connect(self.revert_to_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.revert_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.versions)
        splitter.addWidget(self.comparison)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.resize(900, 600)
        self.changes: list[FieldChange] = []
        self.load()

    def load(self) -> None:
        self.history: list[Revision] = revisions(self._save_file, self.record_id)
        changed = changed_since_export(self._save_file, self.record_id)
        count = len(self.history)
        self.heading.setText(
            f"Record {self.record_id}: {count} version{'' if count == 1 else 's'}, the last "
            "one as it is now." + (" Changed since it was last exported." if changed else "")
        )
        self.versions.setRowCount(count)
        for row, item in enumerate(self.history):
            when = item.time.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            source = SOURCE_NAMES.get(item.source, item.source)
            for column, text in enumerate(
                (str(item.revision), when, source + (" (now)" if item.current else ""))
            ):
                self.versions.setItem(row, column, QTableWidgetItem(text))
        # The version before the current one is the one a cataloger looks at first.
        self.versions.setCurrentCell(max(count - 2, 0), 0)
        self._compare()

    def selected(self) -> Revision | None:
        row = self.versions.currentRow()
        return self.history[row] if 0 <= row < len(self.history) else None

    def _compare(self) -> None:
        picked = self.selected()
        self.revert_button.setEnabled(picked is not None and not picked.current)
        if picked is None:
            return
        try:
            old = _lines(revision_raw(self._save_file, self.record_id, picked.revision))
            now = _lines(self._save_file.get_raw(self.record_id))
        except ExportDeskError as error:
            self.heading.setText(error.message)
            return
        self.changes = compare_fields(old, now)
        self.comparison.setRowCount(len(self.changes))
        for row, change in enumerate(self.changes):
            cells = (CHANGE_NAMES[change.kind], change.old or "", change.new or "")
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if change.kind in CHANGE_COLOURS:
                    cell.setBackground(QBrush(CHANGE_COLOURS[change.kind]))
                self.comparison.setItem(row, column, cell)
        self.comparison.resizeRowsToContents()

    def revert_to_selected(self) -> bool:
        picked = self.selected()
        if picked is None or picked.current:
            return False
        answer = messages.question(
            self,
            "Revert",
            f"Make revision {picked.revision} the record's again? The record as it is now "
            "stays in its history.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            revert(self._save_file, self.record_id, picked.revision, wait=0)
        except ExportDeskError as error:
            messages.warning(self, "Revert", error.message)
            return False
        self.reverted.emit(self.record_id)
        self.load()
        return True
