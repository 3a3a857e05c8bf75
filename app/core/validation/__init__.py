"""Validation of MARC 21 bibliographic and authority records at the levels Connexion offered.

    validate_record(raw, level, record_type="auto") -> ValidationResult

``level`` is one of LEVELS: ``none`` (nothing checked), ``structure`` (leader, directory,
indicators and subfield codes readable, encoding, required fields), ``basic`` (plus every
element against the MARC 21 tables: tags, repeatability, indicators, subfields, fixed-field
codes, lengths) or ``full`` (plus relationships between elements). The tables come from
resources/marc21 (built by tools/build_marc_rules.py from the Library of Congress field lists).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.core.validation.messages import ValidationMessage, ValidationResult
    from app.core.validation.validator import LEVELS, RECORD_TYPES, validate_record

__all__ = ["LEVELS", "RECORD_TYPES", "ValidationMessage", "ValidationResult", "validate_record"]

# The validator and its rule tables load when first asked for, not with every module of this
# package (the window's start uses the levels and stored results only).
_HOMES = {
    "LEVELS": "validator",
    "RECORD_TYPES": "validator",
    "validate_record": "validator",
    "ValidationMessage": "messages",
    "ValidationResult": "messages",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
