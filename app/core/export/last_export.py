"""The last export run of an account: when it ended, where it went and its outcome counts.

The journal keeps every attempt but not which run it belonged to; each run notes its summary
in a small file beside the save file, for ``exportdesk account report`` and the window's
Admin view ("why did my export go to the sandbox?").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.core.atomicfile import write_atomic
from app.core.store.savefile import OUTCOMES, SaveFile

log = logging.getLogger(__name__)
SUFFIX = ".last-export.json"


@dataclass(frozen=True)
class LastExport:
    time: datetime  # when the run ended
    counts: dict[str, int]  # every outcome, with how many records had it
    destination: str  # "tcpip" or "file"
    connection: str  # the connection's name (TCP/IP), or the file's path

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time.isoformat(timespec="seconds"), "counts": dict(self.counts)}

    def describe(self) -> str:
        done = ", ".join(
            f"{n} {outcome.replace('_', ' ')}" for outcome, n in self.counts.items() if n
        )
        where = f" to {self.connection}" if self.connection else ""
        return f"{self.time:%Y-%m-%d %H:%M}{where}: {done or 'no records'}"


def summary_file(save_file_path: Path) -> Path:
    return save_file_path.with_name(save_file_path.name + SUFFIX)


def note_last_export(
    save_file_path: Path, counts: Mapping[str, int], destination: str, connection: str
) -> None:
    """Keep the summary of a run that just ended; a failure to write it only goes to the log
    (the run's outcomes are all in the save file already)."""
    body = {
        "format_version": 1,
        "time": datetime.now().astimezone().isoformat(timespec="seconds"),
        "counts": {outcome: int(counts.get(outcome, 0)) for outcome in OUTCOMES},
        "destination": destination,
        "connection": connection,
    }
    try:
        write_atomic(summary_file(save_file_path), json.dumps(body, indent=2) + "\n")
    except OSError as error:
        log.warning("The summary of the export could not be kept: %s", error)


def last_export(account: str) -> LastExport | None:
    """The account's last export run, or None when it has none (or its note can't be read)."""
    where = summary_file(SaveFile.path_for(account))
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
        time = datetime.fromisoformat(data["time"])
        counts: dict[str, int] = {o: int(data["counts"].get(o, 0)) for o in OUTCOMES}
        return LastExport(time, counts, str(data.get("destination", "")), str(data["connection"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        log.warning("The summary of the last export (%s) can't be read: %s", where, error)
        return None
