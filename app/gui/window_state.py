"""The window's size and layout, remembered between sessions.

They go to ``window.ini`` beside the account files (``paths.config_dir()``), not to Qt's own
place: so EXPORTDESK_HOME moves them with everything else (the demo and the self-test never
touch the user's), and one folder holds all of ExportDesk's settings. QSettings holds window
layout only; export settings live in the account files.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

from app.core import paths
from app.core.digits import ascii_digits

FILE_NAME = "window.ini"


def window_settings() -> QSettings:
    return QSettings(str(paths.config_dir() / FILE_NAME), QSettings.Format.IniFormat)


def save_layout(
    window: QMainWindow, splitter: QSplitter, header: QHeaderView, name: str = "mainWindow"
) -> None:
    """The window's place and size, its docks, the list/record split and the column widths."""
    settings = window_settings()
    settings.beginGroup(name)
    settings.setValue("geometry", window.saveGeometry())
    settings.setValue("state", window.saveState())
    settings.setValue("splitter", splitter.saveState())
    # Widths only: the sort order is not restored (a list sorted by surprise looks wrong).
    settings.setValue(
        "columns", ",".join(str(header.sectionSize(i)) for i in range(header.count()))
    )
    settings.endGroup()
    settings.sync()


def restore_layout(
    window: QMainWindow, splitter: QSplitter, header: QHeaderView, name: str = "mainWindow"
) -> bool:
    """Put back what ``save_layout`` kept; False when nothing was kept (a first start)."""
    settings = window_settings()
    settings.beginGroup(name)
    try:
        geometry = settings.value("geometry")
        if not isinstance(geometry, QByteArray):
            return False
        window.restoreGeometry(geometry)
        state = settings.value("state")
        if isinstance(state, QByteArray):
            window.restoreState(state)
        split = settings.value("splitter")
        if isinstance(split, QByteArray):
            splitter.restoreState(split)
        columns = str(settings.value("columns") or "")
        texts = [text.strip() for text in columns.split(",")]
        widths = [int(text) for text in texts if ascii_digits(text)]
        if len(widths) == header.count():
            for index, width in enumerate(widths):
                if header.sectionResizeMode(index) != QHeaderView.ResizeMode.Stretch:
                    header.resizeSection(index, width)
        return True
    finally:
        settings.endGroup()
