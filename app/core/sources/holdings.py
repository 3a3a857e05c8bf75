"""A change of an institution's holdings in WorldCat, and what came of it: apart from the
WorldCat client, so that the window and the export name them without loading
bookops-worldcat and requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HoldingAction = Literal["set", "unset"]


@dataclass(frozen=True)
class HoldingResult:
    oclc: str
    outcome: Literal["set", "unset", "failed"]
    message: str

    def as_json(self) -> dict[str, str]:
        return {"oclc": self.oclc, "outcome": self.outcome, "message": self.message}
