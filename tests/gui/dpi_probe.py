"""Render the main window at a scale factor and report what does not fit: run as
``QT_SCALE_FACTOR=2 python -m tests.gui.dpi_probe SCREEN_WIDTH SCREEN_HEIGHT`` (the screen in
device pixels). Prints one JSON object: the scale seen, the window's size and its problems.

A separate process, because the scale factor and the screen are fixed when the application
object is made (tests/gui/test_desktop.py runs it)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEvent, QRect, QSize
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

CHECKED = (QAbstractButton, QLabel, QComboBox, QLineEdit, QAbstractSpinBox)


def cut_off(window: QWidget) -> list[str]:
    """Visible controls smaller than they need to be, or reaching past the window's edge."""
    problems = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or not isinstance(widget, CHECKED):
            continue
        if isinstance(widget.parentWidget(), QAbstractSpinBox):
            continue  # a spin box's own editor: the spin box is checked
        if isinstance(widget, QLabel) and (widget.wordWrap() or not widget.text()):
            continue  # wrapped text takes the lines it needs
        name = f"{type(widget).__name__} {_text(widget)!r}"
        need = widget.minimumSizeHint()
        if widget.width() < need.width() or widget.height() < need.height():
            problems.append(f"{name}: {_size(widget.size())} is less than {_size(need)}")
        if not _in_scroll_area(widget):
            place = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
            if not window.rect().contains(place):
                problems.append(f"{name}: reaches past the window's edge")
    return problems


def _in_scroll_area(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _text(widget: QWidget) -> str:
    text = getattr(widget, "text", None)
    value = text() if callable(text) else ""
    return value or widget.accessibleName() or widget.objectName()


def _size(size: QSize) -> str:
    return f"{size.width()}x{size.height()}"


def settle(app: QApplication) -> None:
    """Let the layouts finish: a scroll area sizes its contents a turn of the loop later."""
    for _ in range(3):
        app.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        app.processEvents()


def main() -> None:
    width, height = (int(value) for value in sys.argv[1:3])
    config = Path(tempfile.mkdtemp()) / "screens.json"
    config.write_text(
        json.dumps({"screens": [{"name": "probe", "width": width, "height": height, "dpr": 1}]})
    )
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    os.environ["EXPORTDESK_HOME"] = str(config.parent / "home")

    from app.core.settings.account_settings import AccountSettings
    from app.core.settings.accounts import AccountRegistry
    from app.gui.application import make_application
    from app.gui.main_window import MainWindow

    app = make_application()
    registry = AccountRegistry.load()
    registry.add("100-123-456")
    registry.save()
    window = MainWindow(AccountSettings("100-123-456"))
    window.show()
    settle(app)
    problems = [f"records page: {p}" for p in cut_off(window)]
    window.show_export_options()
    settle(app)
    problems += [f"Export Options: {p}" for p in cut_off(window)]
    screen = window.screen()
    if not screen.availableGeometry().contains(window.frameGeometry()):
        problems.append(
            f"the window ({window.frameGeometry()}) is larger than the screen "
            f"({screen.availableGeometry()})"
        )
    icon = app.windowIcon().pixmap(QSize(32, 32), window.devicePixelRatio())
    result = {
        "scale": window.devicePixelRatio(),
        "window": [window.width(), window.height()],
        "icon": [icon.width(), icon.height()],
        "problems": problems,
    }
    window.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
