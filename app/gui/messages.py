"""Message boxes that fit their titles: the window's own question, warning and information.

Qt's static helpers (``QMessageBox.warning`` and the like) build and show a box at once, so a
title longer than the text is cut by the window manager. These take the same arguments, size
the box to its title (app.gui.sizing), and show it modally the same way.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from app.gui.sizing import fit_title

Button = QMessageBox.StandardButton


def _show(
    icon: QMessageBox.Icon,
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button,
    default: Button,
) -> Button:
    box = QMessageBox(icon, title, text, buttons, parent)
    if default != Button.NoButton:
        box.setDefaultButton(default)
    fit_title(box)
    return Button(box.exec())


def question(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button = Button.Yes | Button.No,
    default: Button = Button.NoButton,
) -> Button:
    return _show(QMessageBox.Icon.Question, parent, title, text, buttons, default)


def warning(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button = Button.Ok,
    default: Button = Button.NoButton,
) -> Button:
    return _show(QMessageBox.Icon.Warning, parent, title, text, buttons, default)


def information(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button = Button.Ok,
    default: Button = Button.NoButton,
) -> Button:
    return _show(QMessageBox.Icon.Information, parent, title, text, buttons, default)
