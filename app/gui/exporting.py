"""Running an export from the window: the core's run as a job of app/gui/jobs.py, each of its
events the job's progress.

The work opens its own connection to the save file, fetches the password (the keyring may
take a while, or ask to be unlocked) and runs ``app.core.export.run.run_export``; the window only
listens. One ``ConnexionClient`` per connection settings is kept between runs (ClientPool), so
a Permanent Connection stays open from one export to the next.

Closing the window or logging off never waits long for a run: the runner's shutdown sets the
cancel event (the transport looks at it while connecting, looking up a name and waiting for
a reply) and waits at most STOP_SECONDS. A run that takes longer (a keyring asking to be
unlocked) ends by itself in its daemon thread; its outcomes still reach the save file, and
its connection is closed when it ends.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import ExportDeskError
from app.core.export.holdings import HoldingsOnExport
from app.core.export.run import RecordOutcome, plan_export, run_export
from app.core.net.transport import ConnexionClient, TransportSettings
from app.core.settings.layers import ExportSettings
from app.core.store.savefile import SaveFile
from app.gui.jobs import JobContext, Work

# How long closing the window or logging off waits for an export to stop: the transport
# notices a cancel within a second or two, whatever it waits for.
STOP_SECONDS = 5.0


@dataclass(frozen=True)
class ExportStarted:
    """The first progress of a run: where it sends, and how many records."""

    destination: str
    total: int


def export_work(
    save_file_path: Path,
    settings: ExportSettings,
    record_ids: Sequence[int],
    fmt: str | None,
    password: Callable[[], str | None],
    clients: ClientPool,
    account: str | None = None,
) -> Work:
    """One export as a job's work. It reports an :class:`ExportStarted`, then each
    ``RecordStarted`` and ``RecordOutcome`` as the run yields them, and returns the list of
    outcomes. It fails when the run could not start (no password, another export running...)
    or stopped midway (the save file could not be written): every outcome before that was
    reported. ``account``: its option worldcat_holdings_on_export sets holdings on what is
    exported (app/core/export/holdings.py)."""
    ids = list(record_ids)

    def work(context: JobContext) -> list[RecordOutcome]:
        needs_password = (
            settings.options["destination"] == "tcpip" and settings.active.values["send_logon_id"]
        )
        secret = password() if needs_password else None
        if needs_password and secret is None:
            raise ExportDeskError(
                f"The connection '{settings.active.name}' sends a logon ID but has no "
                "password. Enter it in General > Admin > Export Options."
            )
        plan = plan_export(settings, fmt=fmt, password=secret)
        outcomes: list[RecordOutcome] = []
        with (
            clients.lend(plan.transport) as client,
            SaveFile(save_file_path) as save_file,
            _holdings(account, settings, save_file) as holdings,
        ):
            context.report(ExportStarted(plan.destination_label, len(ids)))
            for event in run_export(
                save_file,
                plan,
                ids,
                cancel=context.cancel,
                client=client,
                after_outcome=holdings,
            ):
                context.report(event)
                if isinstance(event, RecordOutcome):
                    outcomes.append(event)
        return outcomes

    return work


@contextlib.contextmanager
def _holdings(
    account: str | None, settings: ExportSettings, save_file: SaveFile
) -> Iterator[HoldingsOnExport | None]:
    """Holdings on export when the account's option says so (an OptionError, before anything
    is sent, when its target can't be used)."""
    holdings = (
        HoldingsOnExport.for_account(account, settings.options, save_file) if account else None
    )
    try:
        yield holdings
    finally:
        if holdings is not None:
            holdings.close()


class ClientPool:
    """Keeps the connection of the last settings used, so a permanent connection lasts
    across export runs; other settings get a new client (and the old one is closed).

    A client lent to a run is closed when the run gives it back if the pool was closed
    meanwhile (the window closed while the run went on)."""

    def __init__(self) -> None:
        self._settings: TransportSettings | None = None
        self._client: ConnexionClient | None = None
        self._lock = threading.Lock()
        self._lent = False
        self._closed = False

    @contextlib.contextmanager
    def lend(self, settings: TransportSettings | None) -> Iterator[ConnexionClient | None]:
        """The client for these settings during a run (None for a file export)."""
        if settings is None:
            yield None
            return
        with self._lock:
            if self._client is None or self._settings != settings:
                self._close_client()
                self._client, self._settings = ConnexionClient(settings), settings
            self._lent = True
            client = self._client
        try:
            yield client
        finally:
            with self._lock:
                self._lent = False
                if self._closed:
                    self._close_client()

    def close(self) -> None:
        """Close the kept connection now, or when the run using it gives it back."""
        with self._lock:
            self._closed = True
            if not self._lent:
                self._close_client()

    def _close_client(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client, self._settings = None, None
