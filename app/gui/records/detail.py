"""The record pane: one record as MARC text, the way Connexion shows it, with Copy as text,
and beside it what its last validation found (picking a message selects its field)."""

from __future__ import annotations

import html
from pathlib import PurePath
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
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ExportDeskError
from app.core.marc.display import DELIMITER, display_text
from app.core.marc.iso2709 import parse_record
from app.core.marc.readresults import SOURCE_FORMAT_NAMES
from app.core.marc.record import StructureError
from app.core.store.savefile import OUTCOME_NAMES, VALIDATION_STATE_NAMES, RecordRow, SaveFile
from app.core.validation.messages import ValidationMessage
from app.core.validation.stored import LEVEL_NAMES, counts_text, messages_from_detail
from app.gui.validation_icons import state_icon

MessageRole = Qt.ItemDataRole.UserRole + 1


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
        # The last export and, when the host named it, the record's id in the local system.
        self.export_line = QLabel()
        self.export_line.setWordWrap(True)
        self.export_line.setAccessibleName("Last export")
        self.export_line.setTextFormat(Qt.TextFormat.RichText)
        self.export_line.setOpenExternalLinks(True)
        self.export_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
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

        self._build_messages()
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.copy_button)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.text)
        self.splitter.addWidget(self.messages_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.export_line)
        layout.addWidget(self.splitter, 1)

    def _build_messages(self) -> None:
        self.validation_heading = QLabel()
        self.validation_heading.setWordWrap(True)
        self.validation_heading.setAccessibleName("Validation state")
        self.messages = QTreeWidget()
        self.messages.setAccessibleName("Validation messages")
        self.messages.setColumnCount(3)
        self.messages.setHeaderLabels(["Tag", "Where", "Message"])
        self.messages.setRootIsDecorated(False)
        self.messages.setUniformRowHeights(True)
        self.messages.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        metrics = self.messages.fontMetrics()
        self.messages.header().resizeSection(0, metrics.horizontalAdvance("000 (00)") + 40)
        self.messages.header().resizeSection(1, metrics.horizontalAdvance("position 00") + 16)
        self.messages.currentItemChanged.connect(self._message_picked)
        # The picked message whole: the list's column cuts long ones short.
        self.message_text = QLabel()
        self.message_text.setWordWrap(True)
        self.message_text.setAccessibleName("Selected validation message")
        self.message_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.messages_box = QWidget()
        box = QVBoxLayout(self.messages_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.validation_heading)
        box.addWidget(self.messages, 1)
        box.addWidget(self.message_text)
        self._show_validation(None)

    @property
    def record_id(self) -> int | None:
        return self._record_id

    def show_record(self, record_id: int | None) -> None:
        self._record_id = record_id
        self.export_line.clear()
        if record_id is None:
            self.heading.setText("No record selected")
            self.text.clear()
            self.copy_action.setEnabled(False)
            self._show_validation(None)
            return
        try:
            row = self._save_file.get(record_id)
            raw = self._save_file.get_raw(record_id)
        except ExportDeskError as error:
            self.heading.setText(f"Record {record_id}")
            self.text.setPlainText(error.message)
            self.copy_action.setEnabled(False)
            self._show_validation(None)
            return
        source = SOURCE_FORMAT_NAMES.get(row.source_format, row.source_format)
        origin = origin_text(row.source_file)
        self.heading.setText(
            f"Record {record_id} · {row.encoding} · imported from {source}"
            + (f" · {origin}" if origin else "")
        )
        self.heading.setToolTip(row.source_file or "")
        try:
            self.text.setPlainText(display_text(parse_record(raw)))
        except StructureError as problem:  # stored before a stricter reader: show why
            self.text.setPlainText(f"This record can't be shown: {problem}.")
        self.copy_action.setEnabled(True)
        self.export_line.setText(export_summary(row))
        self._show_validation(row)

    # -- validation ----------------------------------------------------------------------

    def _show_validation(self, row: RecordRow | None) -> None:
        picked = self.current_message()
        self.messages.clear()
        if row is None:
            self.validation_heading.setText("")
            self.messages.setEnabled(False)
            return
        if row.validation_state is None:
            self.validation_heading.setText("Not validated. Action > Validate Record (F7).")
            self.messages.setEnabled(False)
            return
        messages = messages_from_detail(row.validation_detail)
        level = LEVEL_NAMES.get(row.validation_level or "", "")
        found = counts_text(messages)
        self.validation_heading.setText(
            VALIDATION_STATE_NAMES.get(row.validation_state, row.validation_state)
            + (f" at {level}" if level else "")
            + f": {found}."
        )
        self.messages.setEnabled(bool(messages))
        for message in messages:
            occurrence = message.occurrence or 0
            tag = message.tag + (f" ({occurrence})" if occurrence > 1 else "")
            item = QTreeWidgetItem([tag, message.where or "", message.message])
            item.setIcon(0, state_icon(message.severity) or item.icon(0))
            item.setToolTip(2, message.message)
            severity = "Error" if message.severity == "error" else "Warning"
            item.setData(0, Qt.ItemDataRole.AccessibleTextRole, f"{severity}, {tag}")
            item.setData(0, MessageRole, message)
            self.messages.addTopLevelItem(item)
        if picked is not None:
            self.select_message(picked)

    def current_message(self) -> ValidationMessage | None:
        item = self.messages.currentItem()
        message = item.data(0, MessageRole) if item is not None else None
        return message if isinstance(message, ValidationMessage) else None

    def select_message(self, message: ValidationMessage) -> bool:
        """Pick this message in the list (and so its field in the text); False when the
        record shown has no such message."""
        for row in range(self.messages.topLevelItemCount()):
            item = self.messages.topLevelItem(row)
            if item.data(0, MessageRole) == message:
                self.messages.setCurrentItem(item)
                return True
        return False

    def _message_picked(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        message = item.data(0, MessageRole) if item is not None else None
        if isinstance(message, ValidationMessage):
            self.message_text.setText(message.message)
            self.select_field(message.tag, message.occurrence)
        else:
            self.message_text.clear()

    def select_field(self, tag: str, occurrence: int | None = None) -> bool:
        """Select the line of a field (the ``occurrence``th of that tag; LDR for the leader)
        in the text; False when the record has no such field."""
        wanted = occurrence or 1
        seen = 0
        block = self.text.document().firstBlock()
        while block.isValid():
            if block.text()[:3] == tag:
                seen += 1
                if seen == wanted:
                    cursor = QTextCursor(block)
                    cursor.movePosition(
                        QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
                    )
                    self.text.setTextCursor(cursor)
                    self.text.ensureCursorVisible()
                    return True
            block = block.next()
        return False

    def selected_text(self) -> str:
        return self.text.textCursor().selectedText()

    def copy_as_text(self) -> None:
        if self._record_id is not None:
            QGuiApplication.clipboard().setText(self.text.toPlainText())
            self.copied.emit()


def origin_text(source_file: str | None) -> str:
    """Where a record came from, short: a file's name, or the target and id it was retrieved
    from (``target 'LoC' (SRU), record 123``, as app/core/sources writes it)."""
    if not source_file:
        return ""
    if source_file.startswith("target '"):
        return source_file
    return PurePath(source_file).name or source_file


def export_summary(row: RecordRow) -> str:
    """The record's last export in a line of rich text (empty when never exported)."""
    if row.status is None:
        return ""
    parts = [f"<b>Last export:</b> {html.escape(OUTCOME_NAMES.get(row.status, row.status))}"]
    if row.last_exported is not None:
        parts.append(html.escape(row.last_exported.astimezone().strftime("%Y-%m-%d %H:%M")))
    if row.status_detail:
        parts.append(html.escape(row.status_detail))
    if row.local_system_id or row.local_system_url:
        shown = html.escape(row.local_system_id or row.local_system_url or "")
        if row.local_system_url:
            url = html.escape(row.local_system_url, quote=True)
            shown = f'<a href="{url}">{shown}</a>'
        parts.append(f"in the local system: {shown}")
    return " · ".join(parts)
