"""Writing a pymarc Record as MARCXML (MARC 21 slim schema), and the collection around records.

Each record is a ``<record>`` element that declares the MARC 21 slim namespace itself, so it is
correct on its own and inside any collection (ours, or another tool's with a ``marc:``
prefix). The schema wants the leader, then the control fields, then the data fields, so they
are written in that order (each group in the record's order). XML is Unicode: leader/09 is
``a``, and field 066 (MARC-8 escape sequences) is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
# The same text as record_to_marcxml gives for the same record, written a field at a time with
# bytes operations rather than a call per subfield.

_SUBFIELD_OPEN = '</subfield>\n    <subfield code="'
_AFTER_CODE = re.compile("(?<=\x1f[0-9A-Za-z])")
_TEXT_SPECIAL_TEXT = re.compile("[&<>\r]")
_ATTRIBUTE_TEXT = {chr(byte): xml_attribute(chr(byte)) for byte in range(0x20, 0x7F)}
_FIELD_END = "\x1e"
_CONTROL_TAGS = frozenset(f"00{digit}" for digit in range(10))


def fields_to_marcxml(leader: str, fields: Sequence[Field]) -> bytes:
    """A ``<record>`` element, UTF-8, for fields that recode.utf8_fields gave (plain tags,
    indicators and codes; UTF-8 text XML can hold). The record's text is escaped and its
    subfields tagged in a few operations over the whole record, not one per subfield."""
    leader = leader[:9] + "a" + leader[10:]
    control: list[Field] = []
    data_fields: list[Field] = []
    for field in fields:
        (control if field.tag in _CONTROL_TAGS else data_fields).append(field)
    # All the text at once: control fields, then the data fields' subfields, one field
    # terminator between fields (no field holds one).
    text = b"\x1e".join(
        [field.data for field in control] + [field.data[2:] for field in data_fields]
    ).decode("utf-8")
    if _TEXT_SPECIAL_TEXT.search(text):
        text = (
            text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("\r", "&#13;")
        )
    text = _AFTER_CODE.sub('">', text).replace("\x1f", _SUBFIELD_OPEN)
    pieces = text.split(_FIELD_END)
    attribute = _ATTRIBUTE_TEXT
    lines = [f'<record xmlns="{MARC_NAMESPACE}">\n  <leader>{xml_attribute(leader)}</leader>']
    lines += [
        f'  <controlfield tag="{field.tag}">{piece}</controlfield>'
        for field, piece in zip(control, pieces, strict=False)
    ]
    lines += [
        f'  <datafield tag="{field.tag}" ind1="{attribute[chr(field.data[0])]}"'
        f' ind2="{attribute[chr(field.data[1])]}">\n{piece[12:]}</subfield>\n  </datafield>'
        for field, piece in zip(data_fields, pieces[len(control) :], strict=True)
    ]
    lines.append("</record>\n")
    return "\n".join(lines).encode("utf-8")
