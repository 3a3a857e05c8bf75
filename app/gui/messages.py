"""Message boxes and input dialogs that fit their titles: the window's own question, warning,
information, get_text and get_item.

Qt's static helpers (``QMessageBox.warning`` and the like) build and show a box at once, so a
title longer than the text is cut by the window manager. These take the same arguments, size
the box to its title (app.gui.sizing), and show it modally the same way.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox, QWidget

from app.gui.sizing import fit_title

Button = QMessageBox.StandardButton


class _Box(Protocol):
    """question, warning and information: QMessageBox's static helpers' arguments."""

    def __call__(
        self,
        parent: QWidget | None,
        title: str,
        text: str,
        buttons: Button = ...,
        default: Button = ...,
    ) -> Button: ...


def _box(icon: QMessageBox.Icon, buttons_by_default: Button) -> _Box:
    def show(
        parent: QWidget | None,
        title: str,
        text: str,
        buttons: Button = buttons_by_default,
        default: Button = Button.NoButton,
    ) -> Button:
        box = QMessageBox(icon, title, text, buttons, parent)
        if default != Button.NoButton:
            box.setDefaultButton(default)
        fit_title(box)
        return Button(box.exec())

    return show


question = _box(QMessageBox.Icon.Question, Button.Yes | Button.No)
warning = _box(QMessageBox.Icon.Warning, Button.Ok)
information = _box(QMessageBox.Icon.Information, Button.Ok)


def get_text(parent: QWidget | None, title: str, label: str, text: str = "") -> tuple[str, bool]:
    """``QInputDialog.getText`` sized to its title: the text typed, and whether OK was chosen."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextValue(text)
    fit_title(dialog)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    return dialog.textValue(), accepted


def get_item(
    parent: QWidget | None, title: str, label: str, items: list[str], current: int = 0
) -> tuple[str, bool]:
    """``QInputDialog.getItem`` (not editable) sized to its title: the item chosen, and
    whether OK was chosen."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setComboBoxItems(items)
    dialog.setComboBoxEditable(False)
    if items:
        dialog.setTextValue(items[current])
    fit_title(dialog)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    return dialog.textValue(), accepted
