"""The demo: a throw-away account with sample records flagged and a connection to the
reference receiver on this computer, so a newcomer can export and read the replies at once.

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
from app.core.net.receiver import Receiver
from app.core.resources import resource_path
from app.core.settings.account_settings import AccountSettings
from app.core.settings.accounts import AccountRegistry
from app.core.store.importer import import_files
from app.core.store.savefile import SaveFile

DEMO_ACCOUNT = "000-000-000"
DEMO_CONNECTION = "Demo receiver (this computer)"
# What the demo changes in the environment of this process; close() puts it back.
_ENVIRONMENT = (paths.HOME_ENV, paths.INSTITUTION_FILE_ENV)


def demo_samples() -> Path:
    """The sample records (19 Library of Congress records, see resources/samples/README.md)."""
    return resource_path("samples", "demo.mrc")


@dataclass
class Demo:
    home: Path
    account: AccountSettings
    receiver: Receiver
    record_ids: list[int]
    _environment: dict[str, str | None] = field(default_factory=dict, repr=False)

    @property
    def received_dir(self) -> Path:
        return self.receiver.out_dir

    def describe(self) -> str:
        """One line for people and scripts (the real-window test reads it)."""
        return (
            f"ExportDesk demo: receiver {self.receiver.host}:{self.receiver.port}, "
            f"records in {self.received_dir}, home {self.home}"
        )

    def close(self) -> None:
        """Stop the receiver, remove the demo's home and give the process its own back."""
        _tear_down(self.home, self.receiver, self._environment)


def set_up_demo(
    *,
    flag: bool = True,
    import_samples: bool = True,
    home: Path | None = None,
) -> Demo:
    """Switch this process to a fresh demo home and set the demo up in it.

    ``import_samples`` False leaves the save file empty (the self-test imports the samples
    through the window); ``flag`` flags the imported samples. A failure part way removes
    what was set up and raises.
    """
    home = home or Path(tempfile.mkdtemp(prefix="exportdesk-demo-"))
    environment = {name: os.environ.get(name) for name in _ENVIRONMENT}
    os.environ[paths.HOME_ENV] = str(home)
    os.environ[paths.INSTITUTION_FILE_ENV] = str(home / "no-institution-file.json")
    receiver = Receiver(home / "received", log=lambda _line: None)
    try:
        receiver.start()
        _set_up_account(receiver)
        record_ids: list[int] = []
        if import_samples:
            with SaveFile.for_account(DEMO_ACCOUNT) as save_file:
                result = import_files(save_file, [demo_samples()])
                if flag:
                    save_file.flag(result.record_ids)
            record_ids = list(result.record_ids)
    except BaseException:
        _tear_down(home, receiver, environment)
        raise
    return Demo(home, AccountSettings(DEMO_ACCOUNT), receiver, record_ids, environment)


def _set_up_account(receiver: Receiver) -> None:
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


def _tear_down(home: Path, receiver: Receiver, environment: dict[str, str | None]) -> None:
    receiver.stop()
    shutil.rmtree(home, ignore_errors=True)
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    environment.clear()
