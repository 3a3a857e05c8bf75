"""The institution file in force: the defaults an administrator gives every account on the
machine, and the settings it locks (read-only here; see docs/institution-file.md).

Where it comes from is ``paths.institution_file()`` (the named file, the copy cached from the
institution URL, or the site file). Format 1 has defaults only; format 2 adds ``locked`` and
``contact`` (locks.py). A file of a newer format is used for what this version understands,
except when it marks locks this version does not understand: enforcing only some of them
would mislead, so such a file is not applied at all, with a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core import paths
from app.core.settings.files import add_notice, load_json_file
from app.core.settings.layers import (
    READ_FORMAT_VERSION,
    ConnectionPatch,
    ExportSettings,
    Layer,
    Source,
    entry_id,
    layer_from_json,
    resolve,
)
from app.core.settings.locks import NO_LOCKS, Locks, read_locks

WHAT = "institution defaults"


@dataclass
class Institution:
    layer: Layer
    locks: Locks
    where: Path
    version: int | None  # the file's format_version; None when no file applies

    @property
    def settings(self) -> ExportSettings:
        """Factory < institution: what an account starts with, and each locked value."""
        return resolve((self.layer,))

    @property
    def contact(self) -> str:
        return self.locks.contact


def _version(data: dict[str, Any]) -> int:
    version = data.get("format_version", 1)
    return version if isinstance(version, int) and not isinstance(version, bool) else 1


def unknown_locks(data: dict[str, Any]) -> list[str]:
    """What the file marks as locked that this version does not understand."""
    entries = data.get("connections")
    ids = [entry_id(e) for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    every = Layer(Source.INSTITUTION, connections={i: ConnectionPatch() for i in ids if i})
    return read_locks(data, every, "")[1]


def refusal(data: dict[str, Any]) -> str | None:
    """Why a file must not be applied (a newer format marking locks this version does not
    understand), or None."""
    version = _version(data)
    if version <= READ_FORMAT_VERSION:
        return None
    problems = unknown_locks(data)
    if not problems:
        return None
    return (
        f"it was written for a newer ExportDesk (format {version}) and locks what this "
        f"version does not understand ({'; '.join(problems)}), so none of it is applied: "
        "update ExportDesk, or ask your institution's administrator"
    )


def institution_data() -> tuple[dict[str, Any] | None, Path]:
    """The institution file's JSON object (None: no file, a damaged one, or one refused, each
    said in a notice) and where it is."""
    where = paths.institution_file()
    data = load_json_file(where, WHAT, set_aside=False)
    if data is None:
        return None, where
    refused = refusal(data)
    if refused is not None:
        add_notice(f"The {WHAT} file {where} is not applied: {refused}.")
        return None, where
    return data, where


def load_institution() -> Institution:
    data, where = institution_data()
    if data is None:
        return Institution(Layer(Source.INSTITUTION), NO_LOCKS, where, None)
    layer = layer_from_json(data, Source.INSTITUTION, where)
    locks, problems = read_locks(data, layer, resolve((layer,)).active_id)
    for problem in problems:
        add_notice(f"In {where}: {problem}; that lock is ignored.")
    if "contact" in data and not isinstance(data["contact"], str):
        add_notice(f"In {where}: 'contact' should hold text (who to ask); it is ignored.")
    return Institution(layer, locks, where, _version(data))
