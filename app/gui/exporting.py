"""Running an export from the window: the core's run in a worker thread, its events as signals.

The worker opens its own connection to the save file, fetches the password (the keyring may
take a while, or ask to be unlocked) and runs ``app.core.export.run.run_export``; the window only
listens. One ``ConnexionClient`` per connection settings is kept between runs, so a
Permanent Connection stays open from one export to the next.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from app.core.errors import ExportDeskError
from app.core.export.run import RecordOutcome, RecordStarted, plan_export, run_export
from app.core.net.transport import ConnexionClient, TransportSettings
from app.core.settings.layers import ExportSettings
from app.core.store.savefile import SaveFile

BATCH_SECONDS = 0.1


class ExportWorker(QObject):
    """Runs one export in the thread it is moved to; every event becomes a signal."""

    started = Signal(str, int)  # the destination's label, the number of records
    # Events come in batches, at most every BATCH_SECONDS: a signal per record would keep the
    # GUI thread (and the interpreter lock) busy for nothing on a fast host.
    progressed = Signal(object, list)  # the RecordStarted under way (or None), new outcomes
    finished = Signal(object)  # the list of RecordOutcome, in order
    failed = Signal(str)  # the run could not start (no password, another export running...)

    def __init__(
        self,
        save_file_path: Path,
        settings: ExportSettings,
        record_ids: Sequence[int],
        fmt: str | None,
        password: Callable[[], str | None],
        clients: ClientPool,
    ) -> None:
        super().__init__()
        self._path = save_file_path
        self._settings = settings
        self._ids = list(record_ids)
        self._fmt = fmt
        self._password = password
        self._clients = clients
        self.cancel_event = threading.Event()

    @Slot()
    def run(self) -> None:
        outcomes: list[RecordOutcome] = []
        try:
            needs_password = (
                self._settings.options["destination"] == "tcpip"
                and self._settings.active.values["send_logon_id"]
            )
            password = self._password() if needs_password else None
            if needs_password and password is None:
                raise ExportDeskError(
                    f"The connection '{self._settings.active.name}' sends a logon ID but has no "
                    "password. Enter it in General > Admin > Export Options."
                )
            plan = plan_export(self._settings, fmt=self._fmt, password=password)
            client = self._clients.client_for(plan.transport) if plan.transport else None
            with SaveFile(self._path) as save_file:
                self.started.emit(plan.destination_label, len(self._ids))
                current: RecordStarted | None = None
                batch: list[RecordOutcome] = []
                due = time.monotonic() + BATCH_SECONDS
                for event in run_export(
                    save_file, plan, self._ids, cancel=self.cancel_event, client=client
                ):
                    if isinstance(event, RecordStarted):
                        current = event
                    else:
                        outcomes.append(event)
                        batch.append(event)
                    if time.monotonic() >= due:
                        self.progressed.emit(current, batch)
                        batch, due = [], time.monotonic() + BATCH_SECONDS
                self.progressed.emit(None, batch)
        except ExportDeskError as error:
            self.failed.emit(error.message)
            return
        except Exception as error:  # never a traceback for the cataloger; the journal holds
            self.failed.emit(f"The export stopped unexpectedly: {error}")  # what was done
            return
        self.finished.emit(outcomes)


class ClientPool:
    """Keeps the connection of the last settings used, so a permanent connection lasts
    across export runs; other settings get a new client (and the old one is closed)."""

    def __init__(self) -> None:
        self._settings: TransportSettings | None = None
        self._client: ConnexionClient | None = None
        self._lock = threading.Lock()

    def client_for(self, settings: TransportSettings) -> ConnexionClient:
        with self._lock:
            if self._client is None or self._settings != settings:
                self.close_locked()
                self._client = ConnexionClient(settings)
                self._settings = settings
            return self._client

    def close(self) -> None:
        with self._lock:
            self.close_locked()

    def close_locked(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client, self._settings = None, None


class ExportRunner(QObject):
    """Owns the worker thread of the export under way (one at a time)."""

    runningChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clients = ClientPool()
        self.worker: ExportWorker | None = None
        self._thread: QThread | None = None
        # Set in the worker's thread the moment it ends, before the GUI thread hears of it.
        self._worker_done = threading.Event()

    @property
    def running(self) -> bool:
        """An export is under way (its worker has not ended yet)."""
        return self._thread is not None and not self._worker_done.is_set()

    def start(self, worker: ExportWorker) -> None:
        assert not self.running, "one export at a time"
        self.wait()  # the previous thread, if it is still winding down
        self._worker_done.clear()
        thread = QThread()
        thread.setObjectName("exportdesk-export")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        for ended in (worker.finished, worker.failed):
            ended.connect(thread.quit)
            ended.connect(lambda *_: self._worker_done.set(), Qt.ConnectionType.DirectConnection)
        thread.finished.connect(lambda: self._thread_ended(thread))
        self.worker, self._thread = worker, thread
        thread.start()
        self.runningChanged.emit(True)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel_event.set()

    def wait(self) -> None:
        """Cancel and wait for the run to stop (the record under way finishes first)."""
        self.cancel()
        if self._thread is not None:
            thread = self._thread
            thread.quit()
            thread.wait()
            self._thread_ended(thread)

    def _thread_ended(self, thread: QThread) -> None:
        # Called once on its own when a thread ends, and maybe again from its queued
        # finished signal: only the thread of the current run is forgotten here.
        if thread is not self._thread:
            return
        thread.deleteLater()
        self.worker, self._thread = None, None  # the worker goes with its last reference
        self.runningChanged.emit(False)

    def shutdown(self) -> None:
        self.wait()
        self.clients.close()
