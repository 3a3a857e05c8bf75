"""The export log: the journal of every export attempt, newest first."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.store.savefile import OUTCOME_NAMES, SaveFile
from app.gui.sizing import fit_title

SHOWN_ENTRIES = 5000
HEADERS = ("Time", "Record", "Number", "Destination", "Outcome", "Host reply or reason")


class ExportLogDialog(QDialog):
    def __init__(self, save_file: SaveFile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Log")
        fit_title(self)
        self.resize(980, 520)
        self.save_file = save_file
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.horizontalHeader().setSectionResizeMode(
            len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch
        )
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setAccessibleName("Export log entries")
        self.table.verticalHeader().setVisible(False)  # the Record column says which
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        for text, slot in (("&Refresh", self.load), ("&Copy", self.copy)):
            button = QPushButton(text)
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QPushButton("C&lose")
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.load()

    def load(self) -> None:
        entries = self.save_file.journal(limit=SHOWN_ENTRIES)
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            when = entry.time.astimezone().strftime("%Y-%m-%d %H:%M:%S") if entry.time else ""
            values = (
                when,
                str(entry.record_id),
                entry.control_number or "",
                entry.destination,
                OUTCOME_NAMES.get(entry.outcome, entry.outcome),
                entry.host_reply or entry.detail or "",
            )
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        # Each column as wide as what it holds; the reply takes the rest.
        for column in range(len(HEADERS) - 1):
            self.table.resizeColumnToContents(column)
        more = " (the newest)" if len(entries) == SHOWN_ENTRIES else ""
        self.summary.setText(f"{len(entries)} export attempts{more}, newest first.")

    def copy(self) -> None:
        rows = {index.row() for index in self.table.selectedIndexes()} or set(
            range(self.table.rowCount())
        )
        lines = [
            "\t".join(_text(self.table.item(row, c)) for c in range(len(HEADERS)))
            for row in sorted(rows)
        ]
        QGuiApplication.clipboard().setText("\n".join(lines))


def _text(item: QTableWidgetItem | None) -> str:
    return item.text() if item is not None else ""
