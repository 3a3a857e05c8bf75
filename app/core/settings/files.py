"""Reading ExportDesk's JSON settings files, setting a damaged one aside instead of failing."""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Messages about files set aside, for the window and the command line to show once. A
# background fetch of the institution file adds to them too, hence the lock.
_notices: list[str] = []
_notices_lock = threading.Lock()


class WrongShape(ValueError):
    """A settings file is valid JSON of a shape ExportDesk can't use (a number where a list
    of connections belongs...). The message names the key and what it should hold."""


def expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> None:
    """Raise WrongShape unless ``value`` is of ``kind`` (bool is never taken for a number)."""
    wrong_bool = isinstance(value, bool) and bool not in (
        kind if isinstance(kind, tuple) else (kind,)
    )
    if not isinstance(value, kind) or wrong_bool:
        raise WrongShape(f"{where} should hold {what}, not {_json_type(value)}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return f"the number {value}" if len(repr(value)) < 20 else "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def load_json_file(path: Path, what: str, *, set_aside: bool = True) -> dict[str, Any] | None:
    """The file's JSON object, or None when it does not exist.

    A file that can't be read as a JSON object is renamed to ``NAME.damaged-TIMESTAMP`` (so
    nothing is lost and the next save does not overwrite it) and None is returned, so the
    layers below apply; the message is kept for :func:`take_notices`. Files ExportDesk never
    writes (the institution file) are left where they are: ``set_aside=False``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        report_damaged(path, what, f"it could not be read ({error.__class__.__name__})", set_aside)
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        reason = f"it is not valid JSON (line {error.lineno}, column {error.colno})"
        report_damaged(path, what, reason, set_aside)
        return None
    except RecursionError:
        report_damaged(path, what, "its JSON is nested far too deeply", set_aside)
        return None
    if not isinstance(data, dict):
        report_damaged(path, what, "it does not hold a JSON object", set_aside)
        return None
    return data


def report_damaged(path: Path, what: str, reason: str, set_aside: bool = True) -> None:
    """Record (and log) that a settings file can't be used, renaming it aside if asked."""
    where = "it was left in place and is ignored"
    if set_aside:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.name}.damaged-{stamp}")
        try:
            os.replace(path, aside)
            where = f"it was renamed to {aside.name}"
        except OSError:
            pass
    add_notice(f"The {what} file {path} is damaged: {reason}; {where}. Defaults apply instead.")


def add_notice(message: str) -> None:
    """Keep a message about a settings file for the window or the command line to show."""
    log.warning(message)
    with _notices_lock:
        _notices.append(message)


def take_notices() -> list[str]:
    """Messages about damaged files since the last call (each is shown once, even where
    several readers of one file noticed the same)."""
    with _notices_lock:
        taken = list(dict.fromkeys(_notices))
        _notices.clear()
    return taken
