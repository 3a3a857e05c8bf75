"""The record pane: one record as MARC text, the way Connexion shows it, with Copy as text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QAction,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QKeySequence,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ExportDeskError
from app.core.marc.display import DELIMITER, display_text
from app.core.marc.iso2709 import StructureError, parse_record
from app.core.marc.readresults import SOURCE_FORMAT_NAMES
from app.core.savefile import SaveFile


class _MarcHighlighter(QSyntaxHighlighter):
    """Tags in bold, subfield delimiters and codes in the link colour: easier to scan."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._tag = QTextCharFormat()
        self._tag.setFontWeight(QFont.Weight.Bold)
        self._code = QTextCharFormat()
        self._code.setForeground(QGuiApplication.palette().link())

    def highlightBlock(self, text: str) -> None:
        if len(text) >= 3:
            self.setFormat(0, 3, self._tag)
        start = text.find(DELIMITER)
        while start >= 0:
            self.setFormat(start, 2, self._code)
            start = text.find(DELIMITER, start + 2)


class RecordView(QWidget):
    """Shows the record whose id is given to :meth:`show_record`."""

    copied = Signal()

    def __init__(self, save_file: SaveFile, parent: Any = None) -> None:
        super().__init__(parent)
        self._save_file = save_file
        self._record_id: int | None = None
        self.heading = QLabel("No record selected")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setAccessibleName("Record")
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self._highlighter = _MarcHighlighter(self.text.document())
        self.copy_action = QAction("C&opy as text", self)
        self.copy_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.setToolTip("Copy the whole record as text (Ctrl+Shift+C)")
        self.copy_action.setEnabled(False)
        self.copy_action.triggered.connect(self.copy_as_text)
        self.addAction(self.copy_action)
        self.copy_button = QPushButton(self.copy_action.text())
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_action.trigger)
        self.copy_action.enabledChanged.connect(self.copy_button.setEnabled)

        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)

    @property
    def record_id(self) -> int | None:
        return self._record_id

    def show_record(self, record_id: int | None) -> None:
        self._record_id = record_id
        if record_id is None:
            self.heading.setText("No record selected")
            self.text.clear()
            self.copy_action.setEnabled(False)
            return
        try:
            row = self._save_file.get(record_id)
            raw = self._save_file.get_raw(record_id)
        except ExportDeskError as error:
            self.heading.setText(f"Record {record_id}")
            self.text.setPlainText(error.message)
            self.copy_action.setEnabled(False)
            return
        source = SOURCE_FORMAT_NAMES.get(row.source_format, row.source_format)
        self.heading.setText(f"Record {record_id} · {row.encoding} · imported from {source}")
        try:
            self.text.setPlainText(display_text(parse_record(raw)))
        except StructureError as problem:  # stored before a stricter reader: show why
            self.text.setPlainText(f"This record can't be shown: {problem}.")
        self.copy_action.setEnabled(True)

    def copy_as_text(self) -> None:
        if self._record_id is not None:
            QGuiApplication.clipboard().setText(self.text.toPlainText())
            self.copied.emit()
