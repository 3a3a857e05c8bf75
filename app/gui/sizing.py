"""Dialogs wide enough for their titles: a window manager cuts a title that does not fit
between the window's icon and its title-bar buttons."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QBoxLayout, QGridLayout, QLayout, QSpacerItem, QWidget

# The title bar's icon and buttons (minimize, maximize, close), in title-bar heights, with
# the margins between them.
_TITLE_BAR_ROOM = 5


def title_width(widget: QWidget) -> int:
    """How wide ``widget`` must be for its window title and the title bar's buttons."""
    # QStyle here, not with the module: its many enums are set up on first use, which the
    # window's start does not need.
    from PySide6.QtWidgets import QStyle

    # Title bars often use a bold face of the desktop's font: measured bold, to be safe.
    font = QFont(QApplication.font())
    font.setBold(True)
    text = QFontMetrics(font).horizontalAdvance(widget.windowTitle())
    bar = widget.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight, None, widget)
    return text + _TITLE_BAR_ROOM * max(bar, QFontMetrics(font).height())


def fit_title(widget: QWidget) -> None:
    """Make ``widget`` at least as wide as its title needs (call after setWindowTitle).

    A message box sizes itself when shown, and an input dialog's layout sets its minimum size,
    so those are given a spacer that wide instead."""
    from PySide6.QtWidgets import QMessageBox

    needed = title_width(widget)
    widget.minimumSizeHint()  # QInputDialog builds its layout only when asked for a size
    layout = widget.layout()
    if isinstance(layout, QGridLayout) and isinstance(widget, QMessageBox):
        layout.addItem(QSpacerItem(needed, 0), layout.rowCount(), 0, 1, layout.columnCount())
    elif (
        isinstance(layout, QBoxLayout)
        and layout.sizeConstraint() == QLayout.SizeConstraint.SetMinAndMaxSize
    ):
        layout.addSpacerItem(QSpacerItem(needed, 0))
    else:
        widget.setMinimumWidth(max(widget.minimumWidth(), needed))
