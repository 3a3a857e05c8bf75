"""Numbers written in text from outside (files, answers, what a person types)."""

from __future__ import annotations


def ascii_digits(text: str | bytes) -> bool:
    """Whether ``text`` is one or more of the digits 0-9 and nothing else, so that int()
    reads it as the number it shows. ``str.isdigit`` alone is also true of ², ³ and other
    scripts' digits (which int() refuses, or reads too); int() alone also takes signs,
    spaces and 55_00."""
    return text.isascii() and text.isdigit()
