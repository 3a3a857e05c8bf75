"""Encoding one record for export, in the format and character set of the export options.

Formats (the ``format`` setting): ``marc`` (ISO 2709; ``charset`` ``utf8`` or ``marc8``),
``marcxml``, ``dc-rdf`` and ``dc-html`` (always UTF-8). Authority records are always written
as MARC, whatever the format: :attr:`EncodedRecord.format` says what was written, so a file
export can put them in their own ``.mrc`` file. A whole export is one document: the header,
the records one after another, the footer (:func:`document_header`, :func:`document_footer`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pymarc import Field as PymarcField
from pymarc import Indicators, Record, Subfield

from app.core.marc.encoding_report import (
    RecordEncodingError,
    ReplacedCharacter,
    replacement_warning,
)
from app.core.marc.formats import CHARSETS, FILE_EXTENSIONS, FORMATS, check_charset, check_format
from app.core.marc.marc8 import record_to_marc8
from app.core.marc.record import Field
from app.core.marc.to_dublincore import (
    HTML_FOOTER,
    HTML_HEADER,
    RDF_FOOTER,
    RDF_HEADER,
    record_to_html_meta,
    record_to_rdf,
)
from app.core.marc.to_iso2709 import record_to_utf8
from app.core.marc.to_marcxml import (
    COLLECTION_FOOTER,
    COLLECTION_HEADER,
    fields_to_marcxml,
    record_to_marcxml,
)

__all__ = [
    "CHARSETS",
    "FILE_EXTENSIONS",
    "FORMATS",
    "EncodedRecord",
    "RecordEncodingError",
    "check_charset",
    "check_format",
    "document_footer",
    "document_header",
    "encode_record",
    "encode_utf8_fields",
    "is_authority",
]

_HEADERS = {"marc": "", "marcxml": COLLECTION_HEADER, "dc-rdf": RDF_HEADER, "dc-html": HTML_HEADER}
_FOOTERS = {"marc": "", "marcxml": COLLECTION_FOOTER, "dc-rdf": RDF_FOOTER, "dc-html": HTML_FOOTER}


@dataclass(frozen=True, slots=True)
class EncodedRecord:
    """A record's bytes, ready for a file or the wire, and what the cataloger should know.

    ``format`` is the format actually written (``marc`` for an authority record whatever was
    asked); ``charset`` is ``utf8`` or ``marc8`` (``utf8`` for every XML format). ``warnings``
    are sentences for the export report; ``replaced`` lists each character written as
    ``&#xXXXX;``.
    """

    data: bytes
    format: str
    charset: str
    warnings: tuple[str, ...] = ()
    replaced: tuple[ReplacedCharacter, ...] = ()


def is_authority(record: Record) -> bool:
    """True for an authority record (leader/06 ``z``)."""
    return str(record.leader)[6:7] == "z"


def encode_record(record: Record, fmt: str, charset: str) -> EncodedRecord:
    """``record`` encoded as ``fmt`` (MARC in ``charset``); authority records always as MARC.

    Raises OptionError for an unknown format or character set, and
    :class:`RecordEncodingError` when this record can't be written (too long for ISO 2709,
    a tag or indicator that can't be written...), with a message naming the field.
    """
    check_format(fmt)
    check_charset(charset)
    if fmt == "marc" or is_authority(record):
        if charset == "marc8":
            data, replaced = record_to_marc8(record)
            why = "no MARC-8 form"
        else:
            data, replaced = record_to_utf8(record)
            why = "not allowed inside MARC data"
        return _result(data, "marc", charset, replaced, why)
    if fmt == "marcxml":
        text, replaced = record_to_marcxml(record)
    elif fmt == "dc-rdf":
        text, replaced = record_to_rdf(record)
    else:
        text, replaced = record_to_html_meta(record)
    return _result(text.encode("utf-8"), fmt, "utf8", replaced, "not allowed in XML")


def encode_utf8_fields(leader: str, fields: Sequence[Field], fmt: str) -> EncodedRecord:
    """A bibliographic record as ``fmt`` (marcxml, dc-rdf or dc-html) from the fields
    recode.utf8_fields gave: the same bytes as :func:`encode_record` of the record pymarc
    decodes, without decoding it (MARCXML) or straight from the UTF-8 (Dublin Core)."""
    check_format(fmt)
    if fmt == "marcxml":
        return EncodedRecord(fields_to_marcxml(leader, fields), fmt, "utf8")
    record = _pymarc_record(leader, fields)
    if fmt == "dc-rdf":
        text, replaced = record_to_rdf(record)
    elif fmt == "dc-html":
        text, replaced = record_to_html_meta(record)
    else:
        raise ValueError(f"encode_utf8_fields writes XML formats, not {fmt}")
    return _result(text.encode("utf-8"), fmt, "utf8", replaced, "not allowed in XML")


def _pymarc_record(leader: str, fields: Sequence[Field]) -> Record:
    """The pymarc Record that decoding the record would give (for the Dublin Core writer)."""
    record = Record(leader=leader)
    for tag, data in fields:
        if tag[:2] == "00" and tag.isdigit():
            record.fields.append(PymarcField(tag, data=data.decode("utf-8")))
            continue
        text = data.decode("utf-8")
        subfields = [Subfield(part[:1], part[1:]) for part in text[3:].split("\x1f")]
        indicators = Indicators(text[0], text[1])
        record.fields.append(PymarcField(tag, indicators=indicators, subfields=subfields))
    return record


def document_header(fmt: str) -> bytes:
    """What a file in ``fmt`` starts with, before its first record (empty for MARC)."""
    check_format(fmt)
    return _HEADERS[fmt].encode("utf-8")


def document_footer(fmt: str) -> bytes:
    """What a file in ``fmt`` ends with, after its last record (empty for MARC)."""
    check_format(fmt)
    return _FOOTERS[fmt].encode("utf-8")


def _result(
    data: bytes, fmt: str, charset: str, replaced: list[ReplacedCharacter], why: str
) -> EncodedRecord:
    warnings = (replacement_warning(replaced, why),) if replaced else ()
    return EncodedRecord(data, fmt, charset, warnings, tuple(replaced))
