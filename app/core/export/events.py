"""What an export run yields: a record started, a record's outcome (see run.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.marc.encoding_report import ReplacedCharacter
from app.core.store.savefile import OUTCOMES, Outcome


@dataclass(frozen=True)
class RecordStarted:
    """The run is working on this record now (for progress: it is record ``index + 1``)."""

    index: int
    total: int
    record_id: int
    title: str


@dataclass(frozen=True)
class RecordOutcome:
    """How one record's export ended; ``reply`` is the host's text, ``detail`` says why."""

    index: int
    record_id: int
    title: str
    outcome: Outcome
    reply: str | None = None
    detail: str | None = None
    attempts: int = 0
    local_id: str | None = None
    local_url: str | None = None
    warnings: tuple[str, ...] = ()
    replaced: tuple[ReplacedCharacter, ...] = ()  # characters sent as &#xXXXX;, and where

    @property
    def reason(self) -> str:
        return self.detail or self.reply or ""

    def to_json(self) -> dict[str, object]:
        line: dict[str, object] = {
            "id": self.record_id,
            "outcome": self.outcome,
            "reply": self.reply,
        }
        if self.replaced:
            line["replaced"] = [item.as_dict() for item in self.replaced]
        return line


ExportEvent = RecordStarted | RecordOutcome


def summarize(outcomes: Sequence[RecordOutcome]) -> dict[str, int]:
    """Counts per outcome, every outcome listed (0 when none)."""
    counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    for item in outcomes:
        counts[item.outcome] += 1
    return counts
