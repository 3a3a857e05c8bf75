"""A record as text, the way Connexion shows it: tag, indicators, then each subfield after
its delimiter. Used by the record pane, its Copy as text, and ``exportdesk records show``."""

from __future__ import annotations

from app.core.marc.charset import declared_encoding, decode_text
from app.core.marc.iso2709 import subfields
from app.core.marc.record import ParsedRecord

DELIMITER = "\u2021"  # double dagger, Connexion's subfield delimiter


def display_lines(record: ParsedRecord) -> list[str]:
    """One line per field, the leader first. Blank indicators show as spaces, as in Connexion."""
    encoding = declared_encoding(record.leader)
    lines = [f"LDR    {record.leader}"]
    for field in record.fields:
        if field.is_control:
            lines.append(f"{field.tag}    {decode_text(field.data, encoding)}")
            continue
        indicators = field.data[:2].decode("latin-1").ljust(2)
        parts = [
            f"{DELIMITER}{code} {decode_text(value, encoding)}"
            for code, value in subfields(field.data)
        ]
        lead = field.data[2:].split(b"\x1f", 1)[0]
        if lead:  # text before the first delimiter: a defect, but show it
            parts.insert(0, decode_text(lead, encoding))
        lines.append(f"{field.tag} {indicators} {' '.join(parts)}".rstrip())
    return lines


def display_text(record: ParsedRecord) -> str:
    return "\n".join(display_lines(record)) + "\n"
