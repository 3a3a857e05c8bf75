"""Run one slow call off the GUI thread and hand its result back to the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class BackgroundCall(QObject):
    """``BackgroundCall(fn).start()``; ``finished(result)`` arrives on the GUI thread.

    Signals emitted from the worker thread reach slots of objects living in the GUI thread
    through Qt's queued connections, so slots may touch widgets. An exception in ``fn``
    arrives as ``failed(message)``.
    """

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, call: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._call = call
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Until the call has returned (its signals may still be on their way)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="exportdesk-background", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            result = self._call()
        except Exception as error:  # shown to the user as a message, never a traceback
            self.failed.emit(str(error) or type(error).__name__)
            return
        self.finished.emit(result)
