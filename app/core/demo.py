"""The demo: a throw-away account with sample records flagged and a connection to the
reference receiver on this computer, so a newcomer can export and read the replies at once.

Everything lives in a temporary folder (EXPORTDESK_HOME), removed when the demo ends; the
user's own accounts, records and keyring are never touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.core import paths
from app.core.account_settings import AccountSettings
from app.core.accounts import AccountRegistry
from app.core.importer import import_files
from app.core.receiver import Receiver
from app.core.resources import resource_path
from app.core.savefile import SaveFile

DEMO_ACCOUNT = "000-000-000"
DEMO_CONNECTION = "Demo receiver (this computer)"


@dataclass
class Demo:
    home: Path
    account: AccountSettings
    receiver: Receiver
    record_ids: list[int]

    @property
    def received_dir(self) -> Path:
        return self.receiver.out_dir

    def close(self) -> None:
        self.receiver.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def set_up_demo(*, flag: bool = True, home: Path | None = None) -> Demo:
    """Switch this process to a fresh demo home and set the demo up in it."""
    home = home or Path(tempfile.mkdtemp(prefix="exportdesk-demo-"))
    os.environ[paths.HOME_ENV] = str(home)
    os.environ[paths.INSTITUTION_FILE_ENV] = str(home / "no-institution-file.json")
    receiver = Receiver(home / "received", log=lambda _line: None).start()
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
    with SaveFile.for_account(DEMO_ACCOUNT) as save_file:
        result = import_files(save_file, [resource_path("samples", "demo.mrc")])
        if flag:
            save_file.flag(result.record_ids)
    return Demo(home, account, receiver, list(result.record_ids))
