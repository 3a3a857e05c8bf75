"""What the records page's parts (importing, validating, the record actions) may use of the
page. RecordsPage is built from those parts, so they name this base rather than the page
itself: no part imports the module that imports it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from app.core.store.savefile import SaveFile
    from app.core.validation.messages import ValidationMessage
    from app.gui.records.detail import RecordView
    from app.gui.records.model import RecordsModel
    from app.gui.records.table import RecordsTable


class PageBase(QWidget):
    """The records page as its parts see it; RecordsPage fills in every method."""

    notice = Signal(str)  # what an action did, for the window's status bar

    model: RecordsModel
    table: RecordsTable

    @property
    def detail(self) -> RecordView:
        """The record pane (built when first needed)."""
        raise NotImplementedError

    @property
    def shown_record_id(self) -> int | None:
        """The record in the pane; None while none is (or the pane is not built yet)."""
        raise NotImplementedError

    def confirm_leave(self) -> bool:
        """False when the cataloger chose to stay on a record being edited."""
        raise NotImplementedError

    @property
    def save_file(self) -> SaveFile:
        raise NotImplementedError

    def refresh(self, unless_within: float = 0.0) -> None:
        """Read the list and the record shown again."""
        raise NotImplementedError

    def refresh_states(self) -> bool:
        """Read the list's validation column again; False when the file could not be read."""
        raise NotImplementedError

    def guarded(self, call: Callable[[], Any]) -> Any:
        """Run a save-file call; a problem becomes a message box (and the answer None)."""
        raise NotImplementedError

    def show_record(self, record_id: int, message: ValidationMessage | None = None) -> None:
        raise NotImplementedError

    def selected_ids(self) -> list[int]:
        raise NotImplementedError

    def add_action(
        self, text: str, slot: Any, shortcut: str | None = None, on: QWidget | None = None
    ) -> QAction:
        """An action of the page whose shortcut works anywhere in it, or only in ``on``."""
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(
            Qt.ShortcutContext.WidgetShortcut
            if on is not None
            else Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        action.triggered.connect(slot)
        (on if on is not None else self).addAction(action)
        return action
