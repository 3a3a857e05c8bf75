"""What validation reports: one message per problem, and the result for one record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class ValidationMessage:
    """One problem in a record.

    ``tag`` is the field's tag, ``LDR`` for the leader or ``DIR`` for the directory;
    ``occurrence`` counts fields of that tag from 1 (None when the tag occurs once or the
    message is about the record as a whole); ``where`` names the part of the field ("ind1",
    "$a", "position 06") or is None; ``message`` is a sentence for a cataloger saying what is
    wrong and what is allowed.
    """

    tag: str
    occurrence: int | None
    where: str | None
    severity: Severity
    message: str

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tag": self.tag, "severity": self.severity, "message": self.message}
        if self.occurrence is not None:
            data["occurrence"] = self.occurrence
        if self.where is not None:
            data["where"] = self.where
        return data


@dataclass(slots=True)
class ValidationResult:
    """Everything validation found in one record, errors first in the order found."""

    record_type: str  # "bib" or "auth"
    control_number: str | None
    messages: list[ValidationMessage] = field(default_factory=list)

    @property
    def errors(self) -> list[ValidationMessage]:
        return [m for m in self.messages if m.severity == "error"]

    @property
    def warnings(self) -> list[ValidationMessage]:
        return [m for m in self.messages if m.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return any(m.severity == "error" for m in self.messages)
