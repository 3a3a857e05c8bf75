"""Writing a pymarc Record as MARCXML (MARC 21 slim schema), and the collection around records.

Each record is a ``<record>`` element that declares the MARC 21 slim namespace itself, so it is
correct on its own and inside any collection (ours, or another tool's with a ``marc:``
prefix). The schema wants the leader, then the control fields, then the data fields, so they
are written in that order (each group in the record's order). XML is Unicode: leader/09 is
``a``, and field 066 (MARC-8 escape sequences) is left out.
"""

from __future__ import annotations

from pymarc import Record

from app.core.marc.encoding_report import RecordEncodingError, ReplacedCharacter
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
