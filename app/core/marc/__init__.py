"""MARC 21 records (no Qt): reading the supported file formats and what the list shows about
each here; checking, changing and encoding them in the modules beside.

The entry points other parts use::

    read_records(path)   -> Iterator[RecordRead | ReadError]
    parse_record(raw)    -> ParsedRecord         (ISO 2709 bytes to leader and fields)
    summarize(parsed)    -> RecordSummary        (numbers, title, type, encoding)
    display_text(parsed) -> str                  (Connexion-like text, MARC-8 decoded)
    decode_text(bytes, encoding) -> str

Each name is imported from its module when first used (issue 16): ``exportdesk validate``
reading ISO 2709 loads neither pymarc nor the MARCXML and mnemonic readers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.marc.charset import Encoding, declared_encoding, decode_marc8, decode_text
    from app.core.marc.display import display_lines, display_text
    from app.core.marc.iso2709 import parse_record
    from app.core.marc.reading import detect_format, read_records, read_stream
    from app.core.marc.readresults import ReadError, ReadResult, RecordRead, SourceFormat
    from app.core.marc.record import Field, ParsedRecord, StructureError
    from app.core.marc.summary import RecordSummary, RecordType, summarize

_MODULES = {
    "app.core.marc.charset": ("Encoding", "declared_encoding", "decode_marc8", "decode_text"),
    "app.core.marc.display": ("display_lines", "display_text"),
    "app.core.marc.iso2709": ("parse_record",),
    "app.core.marc.reading": ("detect_format", "read_records", "read_stream"),
    "app.core.marc.readresults": ("ReadError", "ReadResult", "RecordRead", "SourceFormat"),
    "app.core.marc.record": ("Field", "ParsedRecord", "StructureError"),
    "app.core.marc.summary": ("RecordSummary", "RecordType", "summarize"),
}
_MODULE_OF = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "Encoding",
    "Field",
    "ParsedRecord",
    "ReadError",
    "ReadResult",
    "RecordRead",
    "RecordSummary",
    "RecordType",
    "SourceFormat",
    "StructureError",
    "declared_encoding",
    "decode_marc8",
    "decode_text",
    "detect_format",
    "display_lines",
    "display_text",
    "parse_record",
    "read_records",
    "read_stream",
    "summarize",
]


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
