"""Enter Diacritics/Special Characters: the MARC-8 repertoire in three groups, as Connexion
shows it (diacritics, special letters, symbols), each character with its name.

A diacritic goes after the letter before the cursor (Unicode's order; MARC-8 writes it before,
which the encoder takes care of), and the two are composed where Unicode has one character for
them. The palette stays open beside the record until closed.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
)

from app.core.marc.repertoire import PaletteEntry, palette

EntryRole = Qt.ItemDataRole.UserRole + 1
DOTTED_CIRCLE = "\u25cc"  # what a diacritic is shown on


class CharacterPalette(QDialog):
    """``chosen(char, combining)`` when the cataloger picks one (double-click, Enter,
    Insert)."""

    chosen = Signal(str, bool)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Enter Diacritics/Special Characters")
        self.setObjectName("characterPalette")
        self.tabs = QTabWidget()
        self.lists: dict[str, QListWidget] = {}
        for group, entries in palette().items():
            shown = QListWidget()
            shown.setAccessibleName(group)
            shown.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            for entry in entries:
                glyph = DOTTED_CIRCLE + entry.char if entry.combining else entry.char
                item = QListWidgetItem(f"{glyph}\t{entry.name}  (U+{ord(entry.char):04X})")
                item.setData(EntryRole, entry)
                item.setToolTip(entry.name)
                shown.addItem(item)
            shown.itemActivated.connect(self._activated)
            self.lists[group] = shown
            self.tabs.addTab(shown, group)
        hint = QLabel(
            "A diacritic goes after the letter before the cursor. Characters here can all be "
            "kept in MARC-8."
        )
        hint.setWordWrap(True)
        self.insert_button = QPushButton("Insert")
        self.insert_button.setDefault(True)
        self.insert_button.clicked.connect(self.insert_current)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.insert_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(420, 460)

    def entries(self, group: str) -> list[PaletteEntry]:
        shown = self.lists[group]
        return [shown.item(row).data(EntryRole) for row in range(shown.count())]

    def _activated(self, item: QListWidgetItem) -> None:
        entry = item.data(EntryRole)
        if isinstance(entry, PaletteEntry):
            self.chosen.emit(entry.char, entry.combining)

    def insert_current(self) -> None:
        shown = self.tabs.currentWidget()
        if isinstance(shown, QListWidget) and shown.currentItem() is not None:
            self._activated(shown.currentItem())


def insert_character(edit: QPlainTextEdit, char: str, combining: bool) -> None:
    """Type ``char`` at the cursor; a diacritic joins the letter before the cursor (with the
    marks it has already), composed when Unicode can."""
    cursor = edit.textCursor()
    if not combining or cursor.hasSelection() or cursor.positionInBlock() == 0:
        cursor.insertText(char)
        edit.setTextCursor(cursor)
        return
    units = cursor.block().text().encode("utf-16-le")[: cursor.positionInBlock() * 2]
    text = units.decode("utf-16-le", "replace")
    start = len(text)
    while start > 0 and unicodedata.combining(text[start - 1]):
        start -= 1
    start = max(start - 1, 0)  # the base letter
    end = cursor.position()
    cursor.setPosition(end - len(text[start:].encode("utf-16-le")) // 2)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    cursor.insertText(unicodedata.normalize("NFC", text[start:] + char))
    edit.setTextCursor(cursor)
