"""What a run leaves unsettled, and what must be settled before the next: the account's export
lock, the records a killed run left in flight, and the unconfirmed records an ordinary export
leaves out. Apart from run.py so that the window (which settles a killed run once it shows)
and the record actions (which respect the lock) load none of the export run itself."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.core.store.savefile import RecordQuery, SaveFile


def split_unconfirmed(
    save_file: SaveFile, record_ids: Sequence[int]
) -> tuple[list[int], list[int]]:
    """The records to send and those left out, each in the order given: a record whose
    status is ``unconfirmed`` may already be in the local system, so an ordinary export
    leaves it out (PROTOCOL.md); sending it again takes the cataloger's explicit choice."""
    unconfirmed = set(save_file.ids(RecordQuery(status="unconfirmed")))
    to_send = [record_id for record_id in record_ids if record_id not in unconfirmed]
    left_out = [record_id for record_id in record_ids if record_id in unconfirmed]
    return to_send, left_out


def lock_path(save_file: SaveFile) -> Path:
    return save_file.path.with_name(save_file.path.name + ".export-lock")


def recover_if_idle(save_file: SaveFile) -> int:
    """When no run of this account is active, settle what a killed run left in flight
    (see SaveFile.recover_interrupted); the number of records settled."""
    import filelock  # loaded when first needed: off the window's start

    lock = filelock.FileLock(lock_path(save_file), timeout=0)
    try:
        with lock:
            return len(save_file.recover_interrupted())
    except filelock.Timeout:
        return 0  # a run is active: what is in flight is its own
