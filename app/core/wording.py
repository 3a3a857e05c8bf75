"""Words for counts, so that every message says "1 record" and "2 records"."""

from __future__ import annotations


def count_of(number: int, noun: str, plural: str | None = None) -> str:
    """``count_of(1, "record")`` is "1 record"; ``count_of(1200, "record")`` "1,200 records"."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
