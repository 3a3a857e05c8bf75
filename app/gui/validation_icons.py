"""One icon per validation state and severity, from the style, so they match the desktop."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

_PIXMAPS = {
    "errors": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "warnings": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "valid": QStyle.StandardPixmap.SP_DialogApplyButton,
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
    return QApplication.style().standardIcon(_PIXMAPS[state])
