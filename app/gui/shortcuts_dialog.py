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

from app.gui.mnemonics import FieldLetters, alt_keys, mnemonic_letter
from app.gui.sizing import fit_title

MNEMONIC_HINT = (
    "Menus open with Alt and their underlined letter (Alt+F for File); in a menu, the "
    "underlined letter chooses. On a screen or in a dialog, Alt and a button's or label's "
    "underlined letter presses the button or goes to the field. A letter that several fields "
    "share goes to the first of them, and pressed again, to the next (from the last, back to "
    "the first); fields that are greyed or folded away are skipped. A check box with a letter "
    "of its own is checked or cleared by it; one sharing its letter gets the focus, and Space "
    "checks or clears it."
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
    menu.aboutToShow.emit()  # a menu filled as it opens (Search Results, Edit): filled now
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


def screen_mnemonics(screen: QWidget) -> list[Shortcut]:
    """What Alt and a letter does on the screen shown: the buttons it presses, then the fields
    it goes to, in the screen's order; a field whose letter others share, with as many presses
    as reach it. A field greyed or folded away is left out: its letter skips it."""
    found: list[Shortcut] = []
    name = screen.accessibleName() or "this screen"
    fields = screen.findChild(FieldLetters)
    for widget in screen.findChildren(QWidget):
        if not widget.isVisibleTo(screen) or (fields is not None and widget in fields.holders):
            continue
        if isinstance(widget, QLabel) and widget.buddy() is not None:
            action = f"go to {_plain(widget.text()).rstrip(':')}"
        elif isinstance(widget, QAbstractButton):
            kind = "check or clear" if widget.isCheckable() else "press"
            action = f"{kind} {_plain(widget.text())}"
        else:
            continue
        letter = mnemonic_letter(widget.text())
        if letter:
            found.append(Shortcut(name, action, alt_keys(letter), f"on {name}"))
    if fields is not None:
        found += [_field_shortcut(fields, holder, name) for holder in fields.reachable()]
    return found


def _field_shortcut(
    fields: FieldLetters, holder: QLabel | QAbstractButton, screen: str
) -> Shortcut:
    """Alt and a field's letter, pressed as often as it takes to reach the field."""
    sharing = fields.sharing(holder)
    letter = mnemonic_letter(holder.text())
    field = _plain(holder.text()).rstrip(":").removesuffix(f" ({letter.upper()})")
    checkable = isinstance(holder, QAbstractButton) and holder.isCheckable()
    if len(sharing) == 1:
        action = f"{'check or clear' if checkable else 'go to'} {field}"
        return Shortcut(screen, action, alt_keys(letter), f"on {screen}")
    where = (
        f"on {screen}; {len(sharing)} fields share {alt_keys(letter)}, each press goes to the "
        "next" + ("; Space checks or clears it" if checkable else "")
    )
    return Shortcut(screen, f"go to {field}", alt_keys(letter, sharing.index(holder) + 1), where)


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
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # all of it, where the column is too narrow
                table.setItem(row, column, item)
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
