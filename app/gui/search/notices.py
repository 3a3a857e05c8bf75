"""What the search panel says when records are stored or holdings changed, and its question
about a record already in the save file."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from app.core.settings.targets import Target
from app.core.sources.holdings import HoldingResult
from app.core.store.importer import DuplicateAction, DuplicateDecision, DuplicateQuestion
from app.core.wording import count_of
from app.gui.search.worker import StoreResult


def ask_about_duplicate(
    parent: QWidget, question: DuplicateQuestion, answer: Callable[[DuplicateDecision], None]
) -> None:
    """Ask, window-modal, what to do with a record already saved; ``answer`` gets the reply."""
    existing = question.existing
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Record Already Saved",
        f"{html.escape(question.new.title or '(no title)')} is already in the save file.",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setInformativeText(
        f"The saved copy, record {existing.id} ({existing.number or 'no number'}): "
        f"{existing.title}\n\nThe new copy comes from {question.file}."
    )
    replace = box.addButton("Replace", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Keep Both", QMessageBox.ButtonRole.AcceptRole)
    skip = box.addButton("Skip", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(skip)
    box.setEscapeButton(skip)
    replace.setToolTip("Put the new copy in place of the saved one (keeps its flag)")
    skip.setToolTip("Leave the saved record as it is")
    all_box = QCheckBox("Do the same for the rest of these records")
    box.setCheckBox(all_box)
    box.setWindowModality(Qt.WindowModality.WindowModal)

    def answered(_result: int) -> None:
        clicked = box.clickedButton()
        action: DuplicateAction = (
            "replace" if clicked is replace else "keep" if clicked is keep else "skip"
        )
        answer(DuplicateDecision(action, all_box.isChecked()))
        box.deleteLater()

    box.finished.connect(answered)
    box.open()


def stored_message(result: StoreResult, target: Target) -> tuple[str, bool]:
    """The message of a retrieval into the save file, and whether it is an error."""
    stored = len(result.stored)
    parts = [f"Saved {count_of(stored, 'record')} from {target.describe()}"]
    if result.replaced:
        parts.append(f"{result.replaced:,} replacing saved copies")
    if result.skipped:
        parts.append(f"{count_of(len(result.skipped), 'record')} already in the save file kept")
    text = ", ".join(parts)
    if result.flag:
        text += f"; {count_of(result.flagged, 'record')} flagged for export"
    text += "."
    failed = [f"{f.hit.id}: {f.reason}" for f in result.failures]
    if failed:
        text += f" Could not retrieve {'; '.join(failed)}."
    if result.stopped:
        text += f" The rest was not retrieved: {result.stopped}"
    return text, bool(failed or (result.stopped and not result.cancelled))


def skipped_note(skipped: Sequence[str]) -> list[str]:
    """What the holdings' caller left out, and why, as a sentence (or none)."""
    return [f"Skipped: {'; '.join(skipped)}."] if skipped else []


def holdings_message(
    results: list[HoldingResult], target: Target, skipped: Sequence[str]
) -> tuple[str, bool]:
    """The message of setting or unsetting holdings, and whether it is an error."""
    done = [r for r in results if r.outcome != "failed"]
    failed: dict[str, list[str]] = {}  # a target that broke fails every number after
    for result in results:
        if result.outcome == "failed":
            failed.setdefault(result.message.rstrip("."), []).append(result.oclc)
    parts = []
    if done:
        verb = "set" if done[0].outcome == "set" else "unset"
        numbers = ", ".join(r.oclc for r in done)
        parts.append(f"Holdings {verb} in {target.describe()} on {numbers}.")
    for message, numbers_failed in failed.items():
        parts.append(f"Not changed on {', '.join(numbers_failed)}: {message}.")
    return " ".join([*parts, *skipped_note(skipped)]), bool(failed)
