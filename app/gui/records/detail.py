"""The record pane: the record as MARC mnemonic text in an editor, and beside it what
validation finds as you type (picking a message selects its field).

The text is the form ``exportdesk records show --format mrk`` prints (app.core.marc.mrk):
one field a line, ``$`` before each subfield code, ``\\`` for a blank, ``{dollar}``,
``{lcub}`` and ``{rcub}`` for those characters in data. A short pause after typing, the text
is read back into a record and validated at the record's level (off the GUI thread for a long
record); each problem is marked at its line, with the message in a tooltip and in the list.
Ctrl+S saves (a text that can't be read into a record can't be saved; one with validation
errors can, and an export at that level holds it back), Escape or Revert discards the changes
after asking. Every save keeps the version before it (History). Unchanged text keeps the
record's bytes exactly; a changed field keeps the record's encoding and normalization.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ExportDeskError
from app.core.marc.iso2709 import parse_record
from app.core.marc.mrk import LineError, record_text, write_encoding
from app.core.marc.readresults import SOURCE_FORMAT_NAMES
from app.core.marc.record import StructureError
from app.core.store.history import changed_since_export
from app.core.store.savefile import OUTCOME_NAMES, VALIDATION_STATE_NAMES, RecordRow, SaveFile
from app.core.validation.messages import ValidationMessage
from app.core.validation.run import AccountLevels
from app.core.validation.stored import LEVEL_NAMES, counts_text, messages_from_detail
from app.gui.jobs import JobRunner
from app.gui.records.detail_actions import RecordPaneActions
from app.gui.records.editor import (
    LONG_TEXT,
    EditorCheck,
    MarcTextEdit,
    check_text,
    messages_by_line,
    utf16_offsets,
)
from app.gui.validation_icons import state_icon

if TYPE_CHECKING:
    from app.gui.records.characters import CharacterPalette
    from app.gui.records.history_view import HistoryDialog

MessageRole = Qt.ItemDataRole.UserRole + 1
CHECK_DELAY_MS = 400  # the pause after typing before the text is checked
SAVE_RETRY_MS = 250  # how often a save waiting for an export tries again


class RecordView(RecordPaneActions):
    """Edits the record whose id is given to :meth:`show_record`. Its actions, saving and
    reverting are RecordPaneActions' (app.gui.records.detail_actions)."""

    def __init__(
        self,
        save_file: SaveFile,
        parent: Any = None,
        *,
        level_for: Callable[[str], str] | None = None,
        export_charset: Callable[[], str] | None = None,
    ) -> None:
        """``level_for(record type)`` is the level to validate at as you type;
        ``export_charset()`` the account's export charset (MARC-8 marks what it lacks)."""
        super().__init__(parent)
        self._save_file = save_file
        self._level_for = level_for or AccountLevels().for_type
        self._export_charset = export_charset or (lambda: "utf8")
        self._record_id: int | None = None
        self._row: RecordRow | None = None
        self._original: bytes | None = None  # the record's bytes as stored
        self._original_text = ""
        self._editable = False
        self._dirty = False
        self._mark_unmappable = False
        self._generation = 0
        self._checks = JobRunner(self)  # a long record's check, off the GUI thread
        self._first_problem_wanted = False
        self._closed = False
        self.last_check: EditorCheck | None = None
        self.palette_dialog: CharacterPalette | None = None
        self.history_dialog: HistoryDialog | None = None

        self.heading = QLabel("No record selected")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The last export and, when the host named it, the record's id in the local system.
        self.export_line = QLabel()
        self.export_line.setWordWrap(True)
        self.export_line.setAccessibleName("Last export")
        self.export_line.setTextFormat(Qt.TextFormat.RichText)
        self.export_line.setOpenExternalLinks(True)
        self.export_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.text = MarcTextEdit()
        self.text.setReadOnly(True)
        self.text.textChanged.connect(self._text_changed)
        self.check_line = QLabel()
        self.check_line.setWordWrap(True)
        self.check_line.setAccessibleName("Validation as you type")

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_now)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_RETRY_MS)
        self._save_timer.timeout.connect(self._retry_save)

        self._build_actions()
        self._build_messages()
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        for button in self.buttons:
            top.addWidget(button)
        editor_box = QWidget()
        column = QVBoxLayout(editor_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.text, 1)
        column.addWidget(self.check_line)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(editor_box)
        self.splitter.addWidget(self.messages_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.export_line)
        layout.addWidget(self.splitter, 1)
        self._update_actions()

    # -- building ------------------------------------------------------------------------

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
        self._fill_messages([], [])

    # -- the record shown ----------------------------------------------------------------

    @property
    def record_id(self) -> int | None:
        return self._record_id

    @property
    def dirty(self) -> bool:
        """The text differs from the record as saved."""
        return self._dirty

    @property
    def checking(self) -> bool:
        """A check of the text is waiting for its pause, or running."""
        return self._check_timer.isActive() or bool(self._checks.running)

    def show_record(self, record_id: int | None) -> None:
        """Show this record. The record being edited with changes keeps its text (the page
        asks before leaving it: :meth:`confirm_leave`); one unchanged is read again only
        when its bytes changed, so the reader keeps their place."""
        same = record_id is not None and record_id == self._record_id
        self._record_id = record_id
        if record_id is None:
            self._clear("No record selected")
            return
        try:
            row = self._save_file.get(record_id)
            raw = self._save_file.get_raw(record_id)
        except ExportDeskError as error:
            self._clear(error.message)
            self.heading.setText(f"Record {record_id}")
            return
        self._row = row
        self._show_heading(row)
        self._show_stored_validation(row)
        if same and (self._dirty or raw == self._original):
            self._update_actions()
            return
        self._load(raw)

    def _clear(self, text: str) -> None:
        self._row = None
        self._original = None
        self.heading.setText("No record selected" if self._record_id is None else "")
        self.export_line.clear()
        self._set_text(text if self._record_id is not None else "", editable=False)
        self._fill_messages([], [])
        self.validation_heading.setText("")
        self.check_line.clear()
        self._update_actions()

    def _show_stored_validation(self, row: RecordRow) -> None:
        """The heading above the messages: what the last Validate stored (the list's
        column); the messages below are what validation as you type finds."""
        if row.validation_state is None:
            self.validation_heading.setText("Not validated. Action > Validate Record (F7).")
            return
        stored = messages_from_detail(row.validation_detail)
        level = LEVEL_NAMES.get(row.validation_level or "", "")
        self.validation_heading.setText(
            VALIDATION_STATE_NAMES.get(row.validation_state, row.validation_state)
            + (f" at {level}" if level else "")
            + f": {counts_text(stored)}."
        )

    def _show_heading(self, row: RecordRow) -> None:
        source = SOURCE_FORMAT_NAMES.get(row.source_format, row.source_format)
        origin = origin_text(row.source_file)
        self.heading.setText(
            f"Record {row.id} · {row.encoding} · imported from {source}"
            + (f" · {origin}" if origin else "")
        )
        self.heading.setToolTip(row.source_file or "")
        summary = export_summary(row)
        if summary and changed_since_export(self._save_file, row.id):
            summary += " · <b>changed since</b>"
        self.export_line.setText(summary)

    def _load(self, raw: bytes) -> None:
        self._original = raw
        try:
            text = record_text(raw)
            parsed = parse_record(raw)
        except StructureError as problem:  # stored before a stricter reader: show why
            self._set_text(f"This record can't be shown or edited: {problem}.", editable=False)
            self._fill_messages([], [])
            return
        self._mark_unmappable = (
            write_encoding(parsed) == "MARC-8" or self._export_charset() == "marc8"
        )
        self._set_text(text, editable=True)
        self.check_now()

    def _set_text(self, text: str, *, editable: bool) -> None:
        self._editable = editable
        self._check_timer.stop()
        self._generation += 1
        self.last_check = None
        self.text.blockSignals(True)
        self.text.setPlainText(text)
        self.text.blockSignals(False)
        self.text.document().setModified(False)
        self.text.setReadOnly(not editable)
        self.text.show_problems({}, [])
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        self._original_text = self.text.toPlainText()
        self._set_dirty(False)

    def _text_changed(self) -> None:
        self._set_dirty(self.text.toPlainText() != self._original_text)
        if self._editable:
            self._check_timer.start()
            self._update_actions()

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)
        self._update_actions()

    def _update_actions(self) -> None:
        editing = self._editable and self._record_id is not None
        savable = self.last_check is None or self.last_check.savable or self.checking
        self.save_action.setEnabled(editing and self._dirty and savable)
        self.revert_action.setEnabled(editing and self._dirty)
        for action in (self.insert_field_action, self.delete_field_action, self.characters_action):
            action.setEnabled(editing)
        self.history_action.setEnabled(self._record_id is not None and self._row is not None)
        self.copy_action.setEnabled(self._record_id is not None and self._row is not None)

    # -- validation as you type ------------------------------------------------------------

    def check_now(self) -> None:
        """Check the text now (the pause after typing ends here)."""
        self._check_timer.stop()
        if not self._editable:
            return
        self._generation += 1
        generation = self._generation
        text = self.text.toPlainText()
        original, level_for, mark = self._original, self._level_for, self._mark_unmappable
        if len(text) <= LONG_TEXT:
            self._checked(generation, check_text(text, original, level_for, mark))
            return
        self.check_line.setText("Checking…")
        job = self._checks.start(
            lambda _context: (generation, check_text(text, original, level_for, mark)),
            name="record-check",
        )
        job.finished.connect(self._checked_in_background)
        job.failed.connect(self._check_failed)

    def _checked_in_background(self, result: tuple[int, EditorCheck]) -> None:
        if not self._closed:
            self._checked(*result)

    def _check_failed(self, message: str) -> None:
        if not self._closed:
            self.check_line.setText(f"The record could not be checked: {message}")

    def _checked(self, generation: int, check: EditorCheck) -> None:
        if generation != self._generation or check.text != self.text.toPlainText():
            return  # typed since: a newer check is on its way
        self.last_check = check
        problems = messages_by_line(self.text, check)
        self.text.show_problems(problems, utf16_offsets(check.text, check.unmappable))
        self._fill_messages(list(check.messages), list(check.line_errors))
        level = LEVEL_NAMES.get(check.level, check.level)
        if check.line_errors:
            first = check.line_errors[0].describe()
            self.check_line.setText(f"Can't be saved until the text reads as a record: {first}")
        else:
            found = counts_text(check.messages)
            self.check_line.setText(
                f"As you type, at {level}: {found}."
                + (" An export at this level holds it back." if _has_errors(check) else "")
            )
        if check.unmappable:
            self.check_line.setText(
                self.check_line.text()
                + f" {len(check.unmappable)} character(s) have no MARC-8 form (marked)."
            )
        self._update_actions()
        self.checked.emit(check)
        if self._first_problem_wanted:
            self._first_problem_wanted = False
            self.go_to_first_problem()

    def _fill_messages(self, messages: list[ValidationMessage], errors: list[LineError]) -> None:
        picked = self.current_message()
        self.messages.clear()
        self.messages.setEnabled(bool(messages or errors))
        for error in errors:
            where = f"line {error.line}" if error.line else ""
            item = QTreeWidgetItem(["", where, error.message])
            item.setIcon(0, state_icon("error") or item.icon(0))
            item.setToolTip(2, error.describe())
            item.setData(0, MessageRole, error)
            self.messages.addTopLevelItem(item)
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
            self.select_message(picked, move=False)

    def problems_at_line(self, number: int) -> list[str]:
        """The problems marked at a line of the text (from 0), as its tooltip shows them."""
        return self.text.problems_at(number)

    def current_message(self) -> ValidationMessage | None:
        item = self.messages.currentItem()
        message = item.data(0, MessageRole) if item is not None else None
        return message if isinstance(message, ValidationMessage) else None

    def select_message(self, message: ValidationMessage, *, move: bool = True) -> bool:
        """Pick this message in the list and put the cursor at its field; a message the
        list does not have (found at another level) still goes to its field. False when
        the record has no such field."""
        for row in range(self.messages.topLevelItemCount()):
            item = self.messages.topLevelItem(row)
            if item is not None and item.data(0, MessageRole) == message:
                if move:
                    self.messages.setCurrentItem(item)
                else:
                    self.messages.blockSignals(True)
                    self.messages.setCurrentItem(item)
                    self.messages.blockSignals(False)
                return True
        return self.select_field(message.tag, message.occurrence) if move else False

    def go_to_first_problem(self) -> bool:
        """Put the cursor at the first error (or else warning); asked before the first
        check of a record arrived, it waits for it."""
        if self.last_check is None:
            self._first_problem_wanted = True
            return False
        check = self.last_check
        if check.line_errors:
            return self.text.go_to_block(max(check.line_errors[0].line - 1, 0))
        ordered = sorted(check.messages, key=lambda m: m.severity != "error")
        return bool(ordered) and self.select_message(ordered[0])

    def _message_picked(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        message = item.data(0, MessageRole) if item is not None else None
        if isinstance(message, ValidationMessage):
            self.message_text.setText(message.message)
            self.select_field(message.tag, message.occurrence)
        elif isinstance(message, LineError):
            self.message_text.setText(message.describe())
            if message.line:
                self.text.go_to_block(message.line - 1)
        else:
            self.message_text.clear()

    def select_field(self, tag: str, occurrence: int | None = None) -> bool:
        """Select the line of a field (the ``occurrence``th of that tag; LDR for the leader)
        in the text; False when the record has no such field."""
        block = self.text.block_of(tag, occurrence)
        return block is not None and self.text.go_to_block(block)

    def selected_text(self) -> str:
        return self.text.textCursor().selectedText()

    def shutdown(self) -> None:
        """Stop the timers; a check running in the background ends by itself."""
        self._closed = True
        self._check_timer.stop()
        self._save_timer.stop()
        self._generation += 1
        if self.palette_dialog is not None:
            self.palette_dialog.close()


def _has_errors(check: EditorCheck) -> bool:
    return any(m.severity == "error" for m in check.messages)


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
