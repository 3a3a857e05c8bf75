"""Assertions the validation tests share: find the message a change should cause."""

from __future__ import annotations

from app.core.validation import ValidationMessage, ValidationResult


def errors(result: ValidationResult) -> list[ValidationMessage]:
    return result.errors


def find(
    result: ValidationResult,
    tag: str,
    severity: str | None = None,
    where: str | None = None,
    text: str = "",
) -> list[ValidationMessage]:
    """Messages about ``tag`` (and ``where``) whose text contains ``text``."""
    return [
        m
        for m in result.messages
        if m.tag == tag
        and (severity is None or m.severity == severity)
        and (where is None or m.where == where)
        and text in m.message
    ]


def only_error(result: ValidationResult, tag: str, where: str | None = None) -> ValidationMessage:
    """The record has errors, all about ``tag``; returns the first."""
    assert result.errors, f"expected an error about {tag}, got {result.messages}"
    wrong = [m for m in result.errors if m.tag != tag or (where is not None and m.where != where)]
    assert not wrong, f"unexpected errors: {wrong}"
    return result.errors[0]


def clean(result: ValidationResult) -> None:
    assert result.messages == [], f"expected no messages, got {result.messages}"
