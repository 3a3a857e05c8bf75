"""Running an export from the window: the core's run in a worker thread, its events as signals.

The worker opens its own connection to the save file, fetches the password (the keyring may
take a while, or ask to be unlocked) and runs ``app.core.export.run.run_export``; the window only
listens. One ``ConnexionClient`` per connection settings is kept between runs, so a
Permanent Connection stays open from one export to the next.

Closing the window or logging off never waits long for a run: it sets the cancel event (the
transport looks at it while connecting, looking up a name and waiting for a reply) and waits
at most STOP_SECONDS. A run that takes longer (a keyring asking to be unlocked) ends by
itself in its daemon thread, and its outcomes still reach the save file.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.core.errors import ExportDeskError
from app.core.export.holdings import HoldingsOnExport
from app.core.export.run import RecordOutcome, RecordStarted, plan_export, run_export
from app.core.net.transport import ConnexionClient, TransportSettings
from app.core.settings.layers import ExportSettings
from app.core.store.savefile import SaveFile

BATCH_SECONDS = 0.1
# How long closing the window or logging off waits for an export to stop: the transport
# notices a cancel within a second or two, whatever it waits for.
STOP_SECONDS = 5.0


class ExportWorker(QObject):
    """Runs one export in the thread it is moved to; every event becomes a signal."""

    started = Signal(str, int)  # the destination's label, the number of records
    # Events come in batches, at most every BATCH_SECONDS: a signal per record would keep the
    # GUI thread (and the interpreter lock) busy for nothing on a fast host.
    progressed = Signal(object, list)  # the RecordStarted under way (or None), new outcomes
    finished = Signal(object)  # the list of RecordOutcome, in order
    # The run could not start (no password, another export running...) or stopped midway
    # (the save file could not be written); every outcome before it came in ``progressed``.
    failed = Signal(str)
    ended = Signal()  # last of all, however the run ended

    def __init__(
        self,
        save_file_path: Path,
        settings: ExportSettings,
        record_ids: Sequence[int],
        fmt: str | None,
        password: Callable[[], str | None],
        clients: ClientPool,
        account: str | None = None,
    ) -> None:
        """``account``: its option worldcat_holdings_on_export sets holdings on what is
        exported (app/core/export/holdings.py)."""
        super().__init__()
        self._account = account
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
        batch: list[RecordOutcome] = []  # outcomes not yet signalled
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
            with SaveFile(self._path) as save_file, _holdings(self, save_file) as holdings:
                self.started.emit(plan.destination_label, len(self._ids))
                current: RecordStarted | None = None
                due = time.monotonic() + BATCH_SECONDS
                for event in run_export(
                    save_file,
                    plan,
                    self._ids,
                    cancel=self.cancel_event,
                    client=client,
                    after_outcome=holdings,
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
                batch = []
        except ExportDeskError as error:
            self._failed(batch, error.message)
            return
        except Exception as error:  # never a traceback for the cataloger; the journal holds
            self._failed(batch, f"The export stopped unexpectedly: {error}")  # what was done
            return
        self.finished.emit(outcomes)

    def _failed(self, batch: list[RecordOutcome], message: str) -> None:
        # The outcomes of the run so far are true (they are in the save file): they all
        # reach the window before the reason it stopped.
        if batch:
            self.progressed.emit(None, batch)
        self.failed.emit(message)


@contextlib.contextmanager
def _holdings(worker: ExportWorker, save_file: SaveFile) -> Iterator[HoldingsOnExport | None]:
    """Holdings on export when the account's option says so (an OptionError, before anything
    is sent, when its target can't be used)."""
    account = worker._account
    holdings = (
        HoldingsOnExport.for_account(account, worker._settings.options, save_file)
        if account
        else None
    )
    try:
        yield holdings
    finally:
        if holdings is not None:
            holdings.close()


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
    """Owns the thread of the export under way (one at a time).

    A daemon thread, not a QThread: a run that outlasts the window's bounded wait (see
    ``stop``) is left to end by itself, and Qt must not be asked to destroy it while it runs.
    """

    runningChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clients = ClientPool()
        self.worker: ExportWorker | None = None
        self._thread: threading.Thread | None = None
        # Set in the worker's thread the moment it ends, before the GUI thread hears of it.
        self._worker_done = threading.Event()

    @property
    def running(self) -> bool:
        """An export is under way (its worker has not ended yet)."""
        return self._thread is not None and not self._worker_done.is_set()

    def start(self, worker: ExportWorker) -> None:
        assert not self.running, "one export at a time"
        self._forget()  # the previous run's thread, if the GUI thread has not heard yet
        done = threading.Event()
        for ended in (worker.finished, worker.failed):
            ended.connect(lambda *_: done.set(), Qt.ConnectionType.DirectConnection)
        worker.ended.connect(self._worker_ended)  # queued: heard in the GUI thread
        thread = threading.Thread(
            target=_run_worker, args=(worker, done), name="exportdesk-export", daemon=True
        )
        self.worker, self._thread, self._worker_done = worker, thread, done
        thread.start()
        self.runningChanged.emit(True)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel_event.set()

    def stop(self, seconds: float | None = None) -> bool:
        """Cancel the run and wait at most ``seconds`` (STOP_SECONDS) for it to end; True
        when it has. One that has not goes on to its end unwatched: every record not sent
        by then is ``cancelled``, one sent without a reply ``unconfirmed``."""
        self.cancel()
        thread = self._thread
        if thread is None:
            return True
        thread.join(STOP_SECONDS if seconds is None else seconds)
        self._forget()
        return not thread.is_alive()

    @Slot()
    def _worker_ended(self) -> None:
        # A run whose thread was forgotten (stop gave up on it) may end later: its news
        # concerns no run of this runner then.
        thread = self._thread
        if thread is not None and self._worker_done.is_set():
            # ``ended`` was its last act: the join is immediate, and the thread lets go of
            # the worker before the GUI thread does (a QObject is deleted in its own thread).
            thread.join(STOP_SECONDS)
            self._forget()

    def _forget(self) -> None:
        if self._thread is None:
            return
        self.worker, self._thread = None, None  # the worker goes with its last reference
        self.runningChanged.emit(False)

    def shutdown(self) -> None:
        worker, done = self.worker, self._worker_done
        if self.stop() or worker is None:
            self.clients.close()
            return
        # The run still uses its connection: it is closed when the run ends (``done`` is
        # set before ``ended`` is emitted, so one of the two closes it).
        worker.ended.connect(self.clients.close, Qt.ConnectionType.DirectConnection)
        if done.is_set():
            self.clients.close()


def _run_worker(worker: ExportWorker, done: threading.Event) -> None:
    try:
        worker.run()
    finally:
        done.set()
        worker.ended.emit()
