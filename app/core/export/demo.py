"""The demo: a throw-away account with sample records flagged and a connection to the
reference receiver on this computer, so a newcomer can export and read the replies at once;
and a catalogue to search: ExportDesk's own SRU server (app/core/sources/sru_server.py) over
all the sample records, registered as the account's target DEMO_TARGET. Two samples
(DEMO_CATALOGUE_ONLY) are only in the catalogue, not in the save file, so a search for
"science" finds records to retrieve, flag and export.

Everything lives in a temporary folder (EXPORTDESK_HOME), removed when the demo ends; the
user's own accounts, records and keyring are never touched. The self-test
(``exportdesk --self-test``) sets up the same account with an empty save file and imports the
samples through the window.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from app.core import paths
from app.core.marc.reading import read_records
from app.core.marc.readresults import RecordRead
from app.core.net.receiver import Receiver
from app.core.resources import resource_path
from app.core.settings.account_settings import AccountSettings
from app.core.settings.accounts import AccountRegistry
from app.core.settings.targets import Targets, make_target
from app.core.sources.sru_server import SruServer
from app.core.store.importer import ImportJob
from app.core.store.savefile import SaveFile

DEMO_ACCOUNT = "000-000-000"
DEMO_CONNECTION = "Demo receiver (this computer)"
DEMO_TARGET = "Demo catalogue (this computer)"
# The samples (by 001) the demo's catalogue holds but its save file does not, at first.
# "Little science, big science." and "Science learning, science teaching".
DEMO_CATALOGUE_ONLY = ("7040552", "16916933")
# What the demo changes in the environment of this process; close() puts it back.
_ENVIRONMENT = (paths.HOME_ENV, paths.INSTITUTION_FILE_ENV)


def demo_samples() -> Path:
    """The sample records (19 Library of Congress records, see resources/samples/README.md)."""
    return resource_path("samples", "demo.mrc")


def _sample_records() -> list[RecordRead]:
    return [r for r in read_records(demo_samples()) if isinstance(r, RecordRead)]


def _control_number(record: RecordRead) -> str:
    found = record.parsed.first("001")
    return found.data.decode("utf-8", "replace").strip() if found is not None else ""


@dataclass
class Demo:
    home: Path
    account: AccountSettings
    receiver: Receiver
    record_ids: list[int]
    catalogue: SruServer
    _environment: dict[str, str | None] = field(default_factory=dict, repr=False)

    @property
    def received_dir(self) -> Path:
        return self.receiver.out_dir

    def describe(self) -> str:
        """One line for people and scripts (the real-window test reads it)."""
        return (
            f"ExportDesk demo: catalogue {self.catalogue.url} (SRU), "
            f"receiver {self.receiver.host}:{self.receiver.port}, "
            f"records in {self.received_dir}, home {self.home}"
        )

    def close(self) -> None:
        """Stop the receiver and the catalogue, remove the demo's home and give the process
        its own back."""
        _tear_down(self.home, self.receiver, self._environment, self.catalogue)


def set_up_demo(
    *,
    flag: bool = True,
    import_samples: bool = True,
    home: Path | None = None,
) -> Demo:
    """Switch this process to a fresh demo home and set the demo up in it.

    ``import_samples`` False leaves the save file empty (the self-test imports the samples
    through the window); else it holds the samples but DEMO_CATALOGUE_ONLY, flagged when
    ``flag`` says so. The catalogue serves every sample. A failure part way removes what was
    set up and raises.
    """
    home = home or Path(tempfile.mkdtemp(prefix="exportdesk-demo-"))
    environment = {name: os.environ.get(name) for name in _ENVIRONMENT}
    os.environ[paths.HOME_ENV] = str(home)
    os.environ[paths.INSTITUTION_FILE_ENV] = str(home / "no-institution-file.json")
    receiver = Receiver(home / "received", log=lambda _line: None)
    catalogue: SruServer | None = None
    try:
        receiver.start()
        samples = _sample_records()
        catalogue = SruServer([record.raw for record in samples]).start()
        _set_up_account(receiver, catalogue)
        record_ids: list[int] = []
        if import_samples:
            with SaveFile.for_account(DEMO_ACCOUNT) as save_file:
                job = ImportJob(save_file, [])
                for record in samples:
                    if _control_number(record) not in DEMO_CATALOGUE_ONLY:
                        job.add_record(record)
                record_ids = list(job.result.record_ids)
                if flag:
                    save_file.flag(record_ids)
    except BaseException:
        _tear_down(home, receiver, environment, catalogue)
        raise
    return Demo(home, AccountSettings(DEMO_ACCOUNT), receiver, record_ids, catalogue, environment)


def _set_up_account(receiver: Receiver, catalogue: SruServer) -> None:
    registry = AccountRegistry.load()
    registry.add(DEMO_ACCOUNT)
    registry.last = DEMO_ACCOUNT
    registry.save()
    account = AccountSettings(DEMO_ACCOUNT)
    working = account.saved_default().copy()
    working.rename_connection(working.active_id, DEMO_CONNECTION)
    for key, value in {
        "destination": "tcpip",
        "format": "marc",
        "host": "127.0.0.1",
        "port": receiver.port,
        "send_logon_id": False,  # the demo receiver checks no logon
        "timeout": 10,
        "retries": 1,
    }.items():
        working.set_value(key, value)
    account.save_default(working)
    Targets(DEMO_ACCOUNT).add(
        make_target({"name": DEMO_TARGET, "kind": "sru", "url": catalogue.url})
    )


def _tear_down(
    home: Path,
    receiver: Receiver,
    environment: dict[str, str | None],
    catalogue: SruServer | None = None,
) -> None:
    receiver.stop()
    if catalogue is not None:
        catalogue.stop()
    shutil.rmtree(home, ignore_errors=True)
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    environment.clear()
