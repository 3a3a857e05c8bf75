"""One icon per validation state and severity, from the style, so they match the desktop."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

# The style's standard pixmap for each (QStyle.StandardPixmap, by name: QStyle's many enums
# are set up on its first use, which the window's start does not need).
_PIXMAPS = {
    "errors": "SP_MessageBoxCritical",
    "error": "SP_MessageBoxCritical",
    "warnings": "SP_MessageBoxWarning",
    "warning": "SP_MessageBoxWarning",
    "valid": "SP_DialogApplyButton",
}


def state_icon(state: str | None) -> QIcon | None:
    """The icon for a state ("valid", "warnings", "errors") or severity ("error",
    "warning"); None for no state."""
    if state not in _PIXMAPS:
        return None
    return _icon(state)


@cache
def _icon(state: str) -> QIcon:
    # Looked up once per state: the list asks for every visible row on each repaint.
    from PySide6.QtWidgets import QStyle

    return QApplication.style().standardIcon(getattr(QStyle.StandardPixmap, _PIXMAPS[state]))
