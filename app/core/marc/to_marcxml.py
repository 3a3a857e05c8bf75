"""Writing a pymarc Record as MARCXML (MARC 21 slim schema), and the collection around records.

Each record is a ``<record>`` element that declares the MARC 21 slim namespace itself, so it is
correct on its own and inside any collection (ours, or another tool's with a ``marc:``
prefix). The schema wants the leader, then the control fields, then the data fields, so they
are written in that order (each group in the record's order). XML is Unicode: leader/09 is
``a``, and field 066 (MARC-8 escape sequences) is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from pymarc import Record

from app.core.marc.encoding_report import RecordEncodingError, ReplacedCharacter
from app.core.marc.record import Field
from app.core.marc.to_iso2709 import CHARACTER_SETS_PRESENT
from app.core.marc.xmltext import is_xml_safe, xml_attribute, xml_text

MARC_NAMESPACE = "http://www.loc.gov/MARC21/slim"
SCHEMA_LOCATION = f"{MARC_NAMESPACE} http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"

COLLECTION_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<collection xmlns="{MARC_NAMESPACE}"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    f' xsi:schemaLocation="{SCHEMA_LOCATION}">\n'
)
COLLECTION_FOOTER = "</collection>\n"


def record_to_marcxml(record: Record) -> tuple[str, list[ReplacedCharacter]]:
    """A ``<record>`` element (with a final line end), and the characters replaced."""
    replaced: list[ReplacedCharacter] = []
    leader = str(record.leader)
    leader = leader[:9] + "a" + leader[10:]
    lines = [
        f'<record xmlns="{MARC_NAMESPACE}">',
        f"  <leader>{_plain(leader, 'the leader')}</leader>",
    ]
    data_lines: list[str] = []
    for field in record.fields:
        tag = _plain(field.tag, "a field tag")
        if tag == CHARACTER_SETS_PRESENT:
            continue
        if field.control_field:
            data = field.data
            if not isinstance(data, str):
                raise RecordEncodingError(f"field {tag} holds undecoded bytes, not text")
            text = xml_text(data, tag, "", replaced)
            lines.append(f'  <controlfield tag="{tag}">{text}</controlfield>')
            continue
        first, second = field.indicators or ("", "")
        ind1 = _plain(first, f"field {tag}: indicator")
        ind2 = _plain(second, f"field {tag}: indicator")
        data_lines.append(f'  <datafield tag="{tag}" ind1="{ind1}" ind2="{ind2}">')
        for subfield in field.subfields:
            code = _plain(subfield.code, f"field {tag}: subfield code")
            value = subfield.value
            if not isinstance(value, str):
                raise RecordEncodingError(f"field {tag} ${code} holds undecoded bytes, not text")
            text = xml_text(value, tag, code, replaced)
            data_lines.append(f'    <subfield code="{code}">{text}</subfield>')
        data_lines.append("  </datafield>")
    lines.extend(data_lines)
    lines.append("</record>\n")
    return "\n".join(lines), replaced


def _plain(value: str, what: str) -> str:
    """A leader, tag, indicator or code, escaped; one XML can't hold stops the record."""
    if not isinstance(value, str) or not is_xml_safe(value):
        raise RecordEncodingError(f"{what} {value!r} holds a character XML can't hold")
    return xml_attribute(value)


# --- from the parsed record's UTF-8 fields (recode.utf8_fields), without pymarc -----------------
# The same text as record_to_marcxml gives for the same record, written from the UTF-8 bytes
# with a few bytes operations over the whole record rather than a call per subfield, and
# without decoding the text (it is UTF-8 already, and goes out as UTF-8).

_SUBFIELD_OPEN = b'</subfield>\n    <subfield code="'
# A subfield code (a byte) as MARCXML has it, with the end of the subfield before.
_SUBFIELD_START = {
    code: _SUBFIELD_OPEN + bytes([code]) + b'">'
    for code in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
}
_CODE = itemgetter(0)  # a subfield's code, after its delimiter
_AFTER_CODE = itemgetter(slice(1, None))  # and its text
_ATTRIBUTE_BYTES = {byte: xml_attribute(chr(byte)).encode("ascii") for byte in range(0x20, 0x7F)}
_RECORD_OPEN = f'<record xmlns="{MARC_NAMESPACE}">\n  <leader>'.encode("ascii")
_FIELD_END = b"\x1e"
_DATA = itemgetter(1)  # a field's data
_SUBFIELDS = itemgetter(slice(2, None))  # a data field's data after its indicators
_CONTROL_TAGS = frozenset(f"00{digit}" for digit in range(10))


def fields_to_marcxml(leader: str, fields: Sequence[Field]) -> bytes:
    """A ``<record>`` element, UTF-8, for fields that recode.utf8_fields gave (plain tags,
    indicators and codes; UTF-8 text XML can hold). The record's text is escaped and its
    subfields tagged in a few operations over the whole record, not one per subfield."""
    leader = leader[:9] + "a" + leader[10:]
    control = [field for field in fields if field.tag in _CONTROL_TAGS]
    if list(fields[: len(control)]) == control:  # the usual order: control fields first
        data_fields = list(fields[len(control) :])
    else:
        data_fields = [field for field in fields if field.tag not in _CONTROL_TAGS]
    # All the text at once: control fields, then the data fields' subfields, one field
    # terminator between fields (no field holds one).
    text = _FIELD_END.join([*map(_DATA, control), *map(_SUBFIELDS, map(_DATA, data_fields))])
    if b"&" in text:
        text = text.replace(b"&", b"&amp;")
    if b"<" in text:
        text = text.replace(b"<", b"&lt;")
    if b">" in text:
        text = text.replace(b">", b"&gt;")
    if b"\r" in text:
        text = text.replace(b"\r", b"&#13;")
    # Each part after a delimiter starts with its subfield's code: the code becomes its
    # tags, the text after it follows.
    parts = text.split(b"\x1f")
    subfields = parts[1:]
    tagged = [b""] * (2 * len(parts) - 1)
    tagged[0] = parts[0]
    tagged[1::2] = map(_SUBFIELD_START.__getitem__, map(_CODE, subfields))
    tagged[2::2] = map(_AFTER_CODE, subfields)
    pieces = b"".join(tagged).split(_FIELD_END)
    attribute = _ATTRIBUTE_BYTES
    out = [_RECORD_OPEN, xml_attribute(leader).encode("ascii"), b"</leader>\n"]
    extend = out.extend
    for (tag, _), piece in zip(control, pieces, strict=False):
        extend((b'  <controlfield tag="', tag.encode("ascii"), b'">', piece, b"</controlfield>\n"))
    for (tag, data), piece in zip(data_fields, pieces[len(control) :], strict=True):
        # piece[12:]: the first subfield opens without closing one before it.
        extend(
            (
                b'  <datafield tag="',
                tag.encode("ascii"),
                b'" ind1="',
                attribute[data[0]],
                b'" ind2="',
                attribute[data[1]],
                b'">\n',
                piece[12:],
                b"</subfield>\n  </datafield>\n",
            )
        )
    out.append(b"</record>\n")
    return b"".join(out)
