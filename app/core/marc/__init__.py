"""MARC 21 records (no Qt): reading the supported file formats and what the list shows about
each here; checking, changing and encoding them in the modules beside.

The entry points other parts use::

    read_records(path)   -> Iterator[RecordRead | ReadError]
    parse_record(raw)    -> ParsedRecord         (ISO 2709 bytes to leader and fields)
    summarize(parsed)    -> RecordSummary        (numbers, title, type, encoding)
    display_text(parsed) -> str                  (Connexion-like text, MARC-8 decoded)
    decode_text(bytes, encoding) -> str
"""

from app.core.marc.charset import Encoding, declared_encoding, decode_marc8, decode_text
from app.core.marc.display import display_lines, display_text
from app.core.marc.iso2709 import parse_record
from app.core.marc.reading import detect_format, read_records, read_stream
from app.core.marc.readresults import ReadError, ReadResult, RecordRead, SourceFormat
from app.core.marc.record import Field, ParsedRecord, StructureError
from app.core.marc.summary import RecordSummary, RecordType, summarize

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
