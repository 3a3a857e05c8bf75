"""Collecting messages, and naming fields in them the way a cataloger reads them."""

from __future__ import annotations

from app.core.validation.messages import Severity, ValidationMessage

ORDINALS = {1: "first", 2: "second"}


class Findings:
    """Collects messages; the small helpers keep the checks readable."""

    __slots__ = ("messages",)

    def __init__(self, messages: list[ValidationMessage]) -> None:
        self.messages = messages

    def add(
        self, severity: Severity, tag: str, occurrence: int | None, where: str | None, text: str
    ) -> None:
        self.messages.append(ValidationMessage(tag, occurrence, where, severity, text))

    def error(self, tag: str, occurrence: int | None, where: str | None, text: str) -> None:
        self.add("error", tag, occurrence, where, text)

    def warning(self, tag: str, occurrence: int | None, where: str | None, text: str) -> None:
        self.add("warning", tag, occurrence, where, text)


def nth(occurrence: int) -> str:
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(occurrence if occurrence < 20 else occurrence % 10)
    return f"{occurrence}{suffix or 'th'}"


def field_name(tag: str, occurrence: int, of: str | None = None) -> str:
    """'Field 650' or 'Field 650 (2nd)', or 'Field 880 (for 245)'."""
    text = f"Field {tag}"
    if occurrence > 1:
        text += f" ({nth(occurrence)})"
    if of:
        text += f" (for {of})"
    return text


def as_text(value: bytes) -> str:
    return value.decode("utf-8", "replace")
