"""A record's validation state as the save file keeps it.

A result becomes a state, "valid" (no messages), "warnings" (warnings only) or "errors", and
its messages a JSON array of ``ValidationMessage.to_json()`` objects in ``validation_detail``;
the level goes beside them. The window's list and panel, ``exportdesk records validate`` and
the export run all read and write it through this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from app.core.store.savefile import StoredValidation, ValidationState
from app.core.validation.messages import Severity, ValidationMessage, ValidationResult

LEVEL_NAMES: dict[str, str] = {
    "none": "None",
    "structure": "Structure",
    "basic": "Basic",
    "full": "Full",
}


def state_of(messages: Iterable[ValidationMessage]) -> ValidationState:
    worst: ValidationState = "valid"
    for message in messages:
        if message.severity == "error":
            return "errors"
        worst = "warnings"
    return worst


def detail_json(messages: Iterable[ValidationMessage]) -> str:
    return json.dumps([m.to_json() for m in messages], ensure_ascii=False, separators=(",", ":"))


def messages_from_detail(detail: str | None) -> list[ValidationMessage]:
    """The messages stored with a state; a detail that is not such JSON (written by hand or
    by an older ExportDesk) becomes one warning quoting it, rather than an exception."""
    if not detail:
        return []
    try:
        items = json.loads(detail)
        if not isinstance(items, list):
            raise ValueError("not a list")
        return [_message(item) for item in items]
    except (ValueError, TypeError, KeyError, RecursionError):
        return [ValidationMessage("LDR", None, None, "warning", detail)]


def _message(item: Any) -> ValidationMessage:
    severity: Severity = "error" if item["severity"] == "error" else "warning"
    occurrence = item.get("occurrence")
    return ValidationMessage(
        str(item["tag"]),
        int(occurrence) if occurrence is not None else None,
        item.get("where"),
        severity,
        str(item["message"]),
    )


def stored_validation(
    record_id: int, result: ValidationResult, level: str, when: datetime | None = None
) -> StoredValidation:
    """What to hand SaveFile.set_validations for one record's result at ``level``."""
    return StoredValidation(
        record_id, state_of(result.messages), detail_json(result.messages), level, when
    )


def counts_text(messages: Iterable[ValidationMessage]) -> str:
    """'2 errors, 1 warning', or 'no problems'."""
    errors = warnings = 0
    for message in messages:
        if message.severity == "error":
            errors += 1
        else:
            warnings += 1
    parts = [
        f"{count:,} {noun}{'' if count == 1 else 's'}"
        for count, noun in ((errors, "error"), (warnings, "warning"))
        if count
    ]
    return ", ".join(parts) or "no problems"
