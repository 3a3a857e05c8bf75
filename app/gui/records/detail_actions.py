"""The record pane's editing: the actions on the text (save, revert, undo, insert and delete
a field, the character palette, history, copy) and what they do. RecordView
(app.gui.records.detail) is built on this base and shows the record and its validation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QTextCursor
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from app.core.errors import ExportDeskError
from app.core.marc.mrk import TextError, record_text, text_to_record
from app.core.store.history import RecordInExport, save_record
from app.core.store.savefile import RecordRow, SaveFile, StoredValidation
from app.core.validation.stored import detail_json, state_of
from app.gui import messages
from app.gui.records.editor import EditorCheck, MarcTextEdit

if TYPE_CHECKING:  # dialogs: they load when first opened
    from app.gui.records.characters import CharacterPalette
    from app.gui.records.history_view import HistoryDialog


class RecordPaneActions(QWidget):
    """The record pane's actions and its saving; RecordView fills in the rest."""

    copied = Signal()
    saved = Signal(int)  # the record's id, once its new version is in the save file
    dirtyChanged = Signal(bool)
    checked = Signal(object)  # EditorCheck: what validation as you type found
    notice = Signal(str)  # for the window's status bar

    # Set up by RecordView.__init__.
    _save_file: SaveFile
    _record_id: int | None
    _row: RecordRow | None
    _original: bytes | None
    _original_text: str
    _editable: bool
    _dirty: bool
    _save_timer: QTimer
    last_check: EditorCheck | None
    palette_dialog: CharacterPalette | None
    history_dialog: HistoryDialog | None
    text: MarcTextEdit

    if TYPE_CHECKING:  # RecordView's, in app.gui.records.detail

        def show_record(self, record_id: int | None) -> None: ...
        def check_now(self) -> None: ...
        def _load(self, raw: bytes) -> None: ...
        def _set_dirty(self, dirty: bool) -> None: ...
        def _show_heading(self, row: RecordRow) -> None: ...

    # -- building ------------------------------------------------------------------------

    def _editor_action(self, text: str, slot: Any, keys: str | None, tip: str) -> QAction:
        """An action whose key works in the text (the list and the search take the same
        keys for their own actions)."""
        action = QAction(text, self)
        if keys:
            action.setShortcut(QKeySequence(keys))
            shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            tip = f"{tip} ({shown})"
        action.setToolTip(tip)
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.text.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.save_action = self._editor_action(
            "&Save Record", self.save, "Ctrl+S", "Save the record; its last version is kept"
        )
        self.revert_action = self._editor_action(
            "Re&vert Record", self.revert, "Esc", "Discard the changes since the last save"
        )
        self.undo_action = self._editor_action("U&ndo Typing", self.text.undo, "Ctrl+Z", "Undo")
        self.redo_action = self._editor_action(
            "Redo T&yping", self.text.redo, "Ctrl+Shift+Z", "Redo"
        )
        self.insert_field_action = self._editor_action(
            "&Insert Field", self.insert_field, "Ctrl+Return", "Add a field after this line"
        )
        self.delete_field_action = self._editor_action(
            "Delete Fi&eld", self.delete_field, "Ctrl+Shift+K", "Remove the field of this line"
        )
        self.characters_action = self._editor_action(
            "En&ter Diacritics/Special Characters…",
            self.show_characters,
            "Ctrl+Shift+D",
            "The MARC-8 diacritics, special letters and symbols",
        )
        self.text.undoAvailable.connect(self.undo_action.setEnabled)
        self.text.redoAvailable.connect(self.redo_action.setEnabled)
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        self.history_action = QAction("Record &History…", self)
        self.history_action.setShortcut(QKeySequence("Ctrl+H"))
        self.history_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.history_action.setToolTip("The record's earlier versions, compared field by field")
        self.history_action.triggered.connect(self.show_history)
        self.addAction(self.history_action)
        self.copy_action = QAction("C&opy as text", self)
        self.copy_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.setToolTip("Copy the whole record as text (Ctrl+Shift+C)")
        self.copy_action.triggered.connect(self.copy_as_text)
        self.addAction(self.copy_action)
        self.buttons: list[QPushButton] = []
        for action, label in (
            (self.save_action, "Save"),
            (self.revert_action, "Revert"),
            (self.insert_field_action, "Insert Field"),
            (self.delete_field_action, "Delete Field"),
            (self.characters_action, "Diacritics…"),
            (self.history_action, "History…"),
            (self.copy_action, "C&opy as text"),
        ):
            button = QPushButton(label)
            button.setToolTip(action.toolTip())
            button.setAutoDefault(False)
            button.clicked.connect(action.trigger)
            action.enabledChanged.connect(button.setEnabled)
            button.setEnabled(action.isEnabled())
            self.buttons.append(button)
        (
            self.save_button,
            self.revert_button,
            self.insert_field_button,
            self.delete_field_button,
            self.characters_button,
            self.history_button,
            self.copy_button,
        ) = self.buttons

    # -- editing -------------------------------------------------------------------------

    def insert_field(self) -> None:
        """A new line after the current one, starting a field (=), the cursor on it."""
        if not self._editable:
            return
        cursor = self.text.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
        cursor.insertText("\n=")
        self.text.setTextCursor(cursor)
        self.text.setFocus()

    def delete_field(self) -> None:
        """Remove the current line (one undo step); the leader stays."""
        if not self._editable:
            return
        cursor = self.text.textCursor()
        block = cursor.block()
        if block.text().startswith("=LDR"):
            self.notice.emit("The leader can't be deleted; change it instead.")
            return
        cursor.beginEditBlock()
        if block.next().isValid():
            cursor.setPosition(block.position())
            cursor.setPosition(block.next().position(), QTextCursor.MoveMode.KeepAnchor)
        else:
            cursor.setPosition(max(block.position() - 1, 0))
            cursor.setPosition(
                block.position() + block.length() - 1, QTextCursor.MoveMode.KeepAnchor
            )
        cursor.removeSelectedText()
        cursor.endEditBlock()
        self.text.setTextCursor(cursor)

    def show_characters(self) -> CharacterPalette:
        from app.gui.records.characters import CharacterPalette

        if self.palette_dialog is None:
            self.palette_dialog = CharacterPalette(self)
            self.palette_dialog.chosen.connect(self.insert_character)
        self.palette_dialog.show()
        self.palette_dialog.raise_()
        return self.palette_dialog

    def insert_character(self, char: str, combining: bool) -> None:
        from app.gui.records.characters import insert_character

        if self._editable:
            insert_character(self.text, char, combining)

    # -- saving, reverting -----------------------------------------------------------------

    def save(self) -> bool:
        """Save the text as the record's new version; False when it was not saved (the
        text can't be read as a record, or an export is sending the record: then it is
        saved as soon as the export has sent it)."""
        if self._record_id is None or not self._editable:
            return False
        self._save_timer.stop()
        record_id = self._record_id
        text = self.text.toPlainText()
        try:
            edited = text_to_record(text, self._original)
        except TextError as problem:
            self.check_now()
            self.notice.emit(f"Record {record_id} was not saved: {problem.message}")
            messages.warning(
                self,
                "Save Record",
                f"Record {record_id} can't be saved until its text reads as a record: "
                f"{problem.message}.",
            )
            return False
        if not edited.changed:
            self._original_text = text
            self._set_dirty(False)
            return True
        try:
            save_record(self._save_file, record_id, edited.raw, "editor", wait=0)
        except RecordInExport as busy:
            self.notice.emit(f"{busy.message} ExportDesk saves it as soon as it can.")
            self._save_timer.start()
            return False
        except ExportDeskError as error:
            messages.warning(self, "Save Record", error.message)
            return False
        check = self.last_check
        if check is not None and check.raw == edited.raw and check.level:
            self._save_file.set_validations(
                [
                    StoredValidation(
                        record_id,
                        state_of(check.messages),
                        detail_json(check.messages),
                        check.level,
                    )
                ]
            )
        self._original = edited.raw
        shown = record_text(edited.raw)
        if shown != text:  # written differently than typed (&#xXXXX;...): show it so
            self._load(edited.raw)
        else:
            self._original_text = text
            self._set_dirty(False)
        row = self._save_file.get(record_id)
        self._row = row
        self._show_heading(row)
        message = f"Saved record {record_id}; its previous version is in its History."
        if edited.replaced:
            chars = " ".join(f"U+{ord(c):04X}" for c in edited.replaced)
            message += f" No MARC-8 form, written as &#xXXXX;: {chars}."
        self.notice.emit(message)
        self.saved.emit(record_id)
        return True

    def _retry_save(self) -> None:
        if self._dirty and self._editable:
            self.save()

    def revert(self) -> bool:
        """Discard the changes, after asking; True when there are none left."""
        if not self._dirty:
            return True
        answer = messages.question(
            self,
            "Revert Record",
            f"Discard your changes to record {self._record_id}?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        self.text.setFocus()  # back to the text, whatever the answer
        if answer != QMessageBox.StandardButton.Discard:
            return False
        self.discard()
        return True

    def discard(self) -> None:
        self._save_timer.stop()
        if self._original is not None:
            self._load(self._original)

    def confirm_leave(self) -> bool:
        """Before showing another record (or closing): changes are saved or discarded, as
        the cataloger answers; False when they chose to stay."""
        if not self._dirty:
            return True
        answer = messages.question(
            self,
            "Unsaved Changes",
            f"Save your changes to record {self._record_id}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.discard()
            return True
        return False

    def show_history(self) -> HistoryDialog | None:
        if self._record_id is None or not self.confirm_leave():
            return None
        from app.gui.records.history_view import HistoryDialog

        dialog = HistoryDialog(self._save_file, self._record_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.reverted.connect(self._reverted)
        self.history_dialog = dialog
        dialog.finished.connect(lambda _result: setattr(self, "history_dialog", None))
        dialog.open()
        return dialog

    def _reverted(self, record_id: int) -> None:
        if record_id == self._record_id:
            self.show_record(record_id)
        self.notice.emit(f"Record {record_id} reverted; the version it replaced is kept.")
        self.saved.emit(record_id)

    def copy_as_text(self) -> None:
        if self._record_id is not None:
            QGuiApplication.clipboard().setText(self.text.toPlainText())
            self.copied.emit()
