"""Two versions of a record, field by field: what the History view shows."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

ChangeKind = Literal["same", "changed", "added", "removed"]


def computed_apart(line: str) -> str:
    """A line as compared: the leader's record length and base address of data left out."""
    if line.startswith("=LDR  ") and len(line) >= 30:
        return line[:6] + line[11:18] + line[23:]
    return line


@dataclass(frozen=True, slots=True)
class FieldChange:
    kind: ChangeKind
    old: str | None  # the field's line in the older version (None: it had none)
    new: str | None


def compare_fields(
    old: Sequence[str], new: Sequence[str], key: Callable[[str], str] = computed_apart
) -> list[FieldChange]:
    """Line by line (one field a line, as app.core.marc.mrk writes them), in the newer
    version's order: a field whose line differs is ``changed`` when it keeps its tag. Lines
    are compared by ``key`` (by default, the leader without what is computed from the
    fields: the record's length and base address)."""
    changes: list[FieldChange] = []
    matcher = difflib.SequenceMatcher(
        a=[key(line) for line in old], b=[key(line) for line in new], autojunk=False
    )
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pairs = zip(old[a1:a2], new[b1:b2], strict=True)
            changes.extend(FieldChange("same", o, n) for o, n in pairs)
            continue
        removed, added = list(old[a1:a2]), list(new[b1:b2])
        while removed and added and removed[0][:4] == added[0][:4]:
            changes.append(FieldChange("changed", removed.pop(0), added.pop(0)))
        changes.extend(FieldChange("removed", line, None) for line in removed)
        changes.extend(FieldChange("added", None, line) for line in added)
    return changes
