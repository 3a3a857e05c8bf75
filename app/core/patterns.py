"""Regular expressions an administrator types into a setting (the reply patterns): compiled
one way for the settings' check and for the wire, with a message naming the setting."""

from __future__ import annotations

import re

from app.core.errors import OptionError


def compile_pattern(key: str, pattern: str) -> re.Pattern[str] | None:
    """``pattern`` compiled, case ignored; None when empty. OptionError(key) when it is not a
    valid Python regular expression."""
    if not pattern.strip():
        return None
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        where = f" at position {error.pos}" if error.pos is not None else ""
        raise OptionError(key, f"is not a valid regular expression ({error.msg}{where})") from None
    except (RecursionError, OverflowError):
        raise OptionError(key, "is not a valid regular expression (too deeply nested)") from None
