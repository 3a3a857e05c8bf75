"""Help > Keyboard Shortcuts: the window's shortcuts, read from its own menus when it opens,
so the list can't drift from what the keys do."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.sizing import fit_title

MNEMONIC_HINT = (
    "Menus open with Alt and their underlined letter (Alt+F for File); in a menu, the "
    "underlined letter chooses. On a screen or in a dialog, Alt and a button's or label's "
    "underlined letter presses the button or goes to the field."
)


@dataclass(frozen=True)
class Shortcut:
    menu: str  # "Edit" or "General > Admin"
    action: str  # the action's text without its mnemonic
    keys: str  # as this platform writes them: "Ctrl+E", or "⌘E" on a Mac
    where: str = ""  # "" when the window takes it anywhere; else where the focus must be


def window_shortcuts(window: QMainWindow) -> list[Shortcut]:
    """Every action of the window's menus that has a key, in menu order."""
    found: list[Shortcut] = []
    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            _collect(menu, [_plain(top.text())], found)
    return found


def _collect(menu: QMenu, path: list[str], found: list[Shortcut]) -> None:
    for action in menu.actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            _collect(submenu, [*path, _plain(action.text())], found)
        elif not action.isSeparator() and action.shortcuts():
            keys = ", ".join(
                key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()
            )
            found.append(Shortcut(" > ".join(path), _plain(action.text()), keys, _where(action)))


def _where(action: QAction) -> str:
    if action.shortcutContext() != Qt.ShortcutContext.WidgetShortcut:
        return ""
    for owner in action.associatedObjects():
        if isinstance(owner, QWidget) and not isinstance(owner, QMenu):
            return f"in {owner.accessibleName() or 'its list'}"
    return ""


def mnemonic_letter(text: str) -> str:
    """The letter Alt reaches in a label's or button's text ("" when none), lower case."""
    plain = text.replace("&&", "")
    at = plain.find("&")
    return plain[at + 1].lower() if 0 <= at < len(plain) - 1 else ""


def with_mnemonic(text: str, taken: set[str]) -> str:
    """``text`` with an Alt+letter not in ``taken`` (which gains it): a word's first letter
    if one is free, else any letter of it; ``text`` as it is when every letter is taken."""
    starts = [
        i for i, c in enumerate(text) if c.isalpha() and (i == 0 or not text[i - 1].isalpha())
    ]
    others = [i for i, c in enumerate(text) if c.isalpha() and i not in starts]
    for i in starts + others:
        letter = text[i].lower()
        if letter.isascii() and letter not in taken:
            taken.add(letter)
            return text[:i] + "&" + text[i:]
    return text


def screen_mnemonics(screen: QWidget) -> list[Shortcut]:
    """The Alt+letters of the fields and buttons the screen shows, in its order."""
    found: list[Shortcut] = []
    where = screen.accessibleName() or "this screen"
    for widget in screen.findChildren(QWidget):
        if not widget.isVisibleTo(screen):
            continue
        if isinstance(widget, QLabel) and widget.buddy() is not None:
            name = _plain(widget.text()).rstrip(":")
            kind = "go to"
        elif isinstance(widget, QAbstractButton):
            name = _plain(widget.text())
            kind = "check or clear" if widget.isCheckable() else "press"
        else:
            continue
        letter = mnemonic_letter(widget.text())
        if letter:
            keys = QKeySequence(f"Alt+{letter.upper()}").toString(
                QKeySequence.SequenceFormat.NativeText
            )
            found.append(Shortcut(where, f"{kind} {name}", keys, f"on {where}"))
    return found


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _current_screen(window: QMainWindow) -> QWidget | None:
    """The screen the window shows: its stacked pages' current one, or its central widget."""
    central = window.centralWidget()
    if isinstance(central, QStackedWidget):
        return central.currentWidget()
    return central


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard Shortcuts")
        fit_title(self)
        self.setObjectName("shortcutsDialog")
        self.shortcuts = window_shortcuts(window)
        screen = _current_screen(window)
        if screen is not None:
            self.shortcuts += screen_mnemonics(screen)
        table = QTableWidget(len(self.shortcuts), 3)
        table.setHorizontalHeaderLabels(["Keys", "Action", "Menu"])
        table.setAccessibleName("Keyboard shortcuts")
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setTabKeyNavigation(False)
        rows = table.verticalHeader()
        rows.hide()
        rows.setDefaultSectionSize(table.fontMetrics().height() + 8)
        for row, shortcut in enumerate(self.shortcuts):
            action = shortcut.action + (f" ({shortcut.where})" if shortcut.where else "")
            for column, text in enumerate((shortcut.keys, action, shortcut.menu)):
                table.setItem(row, column, QTableWidgetItem(text))
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table = table
        hint = QLabel(MNEMONIC_HINT)
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(620, min(640, 190 + len(self.shortcuts) * rows.defaultSectionSize()))
