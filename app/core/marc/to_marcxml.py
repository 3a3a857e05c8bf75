"""Writing a pymarc Record as MARCXML (MARC 21 slim schema), and the collection around records.

Each record is a ``<record>`` element that declares the MARC 21 slim namespace itself, so it is
correct on its own and inside any collection (ours, or another tool's with a ``marc:``
prefix). The schema wants the leader, then the control fields, then the data fields, so they
are written in that order (each group in the record's order). XML is Unicode: leader/09 is
``a``, and field 066 (MARC-8 escape sequences) is left out.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from itertools import compress
from operator import itemgetter, not_

from pymarc import Record

from app.core.marc.encoding_report import RecordEncodingError, ReplacedCharacter
from app.core.marc.record import CONTROL_TAGS, Field
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
    bytes([code]): _SUBFIELD_OPEN + bytes([code]) + b'">'
    for code in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
}
_DELIMITER_AND_CODE = re.compile(b"\x1f(.)", re.DOTALL)
_RECORD_OPEN = f'<record xmlns="{MARC_NAMESPACE}">\n  <leader>'.encode("ascii")
_FIELD_END = b"\x1e"
# A data field's data: its indicators and first subfield's code (what its opening holds),
# and what follows them.
_OPENING_KEY = itemgetter(slice(0, 4))
_AFTER_FIRST_CODE = itemgetter(slice(4, None))
_CONTROL_END = b"</controlfield>\n"
_DATA_END = b"</subfield>\n  </datafield>\n"


# A field's opening is worked out the first time its tag (and indicators) are seen; a file of
# odd tags and indicators can't grow what is kept past OPENINGS_KEPT.
OPENINGS_KEPT = 4096


@functools.lru_cache(maxsize=OPENINGS_KEPT)
def _control_opening(tag: str) -> bytes:
    return f'  <controlfield tag="{tag}">'.encode("ascii")


@functools.lru_cache(maxsize=OPENINGS_KEPT)
def _data_opening(tag: str, start: bytes) -> bytes:
    """A data field's opening and its first subfield's, from its tag and ``start``: the
    indicators, the delimiter and the first code."""
    first, second = (xml_attribute(chr(byte)) for byte in start[:2])
    return (
        f'  <datafield tag="{tag}" ind1="{first}" ind2="{second}">\n'
        f'    <subfield code="{start[3:4].decode("ascii")}">'
    ).encode("ascii")


def fields_to_marcxml(leader: str, fields: Sequence[Field]) -> bytes:
    """A ``<record>`` element, UTF-8, for fields that recode.utf8_fields gave (tags of letters
    and digits, plain indicators, codes of letters and digits; UTF-8 text XML can hold).

    Written with a few operations over the whole record and no step of Python per field or
    subfield: the text escaped at once, each delimiter and its code turned into the tags
    around subfields, each field's opening looked up by its tag (and indicators), and the
    pieces interleaved."""
    leader = leader[:9] + "a" + leader[10:]
    tags, datas = zip(*fields, strict=True) if fields else ((), ())
    controls = sum(map(CONTROL_TAGS.__contains__, tags))
    if CONTROL_TAGS.issuperset(tags[:controls]):  # the usual order: control fields first
        control_tags, data_tags = tags[:controls], tags[controls:]
        control_data, data_data = datas[:controls], datas[controls:]
    else:  # a control field after a data field: the schema's order
        is_control = list(map(CONTROL_TAGS.__contains__, tags))
        is_data = list(map(not_, is_control))
        control_tags, data_tags = tuple(compress(tags, is_control)), tuple(compress(tags, is_data))
        control_data = tuple(compress(datas, is_control))
        data_data = tuple(compress(datas, is_data))
    # All the text at once: control fields, then the data fields' text after their first
    # code (which their openings hold), one field terminator between fields (no field
    # holds one).
    text = _FIELD_END.join([*control_data, *map(_AFTER_FIRST_CODE, data_data)])
    if b"&" in text:
        text = text.replace(b"&", b"&amp;")
    if b"<" in text:
        text = text.replace(b"<", b"&lt;")
    if b">" in text:
        text = text.replace(b">", b"&gt;")
    if b"\r" in text:
        text = text.replace(b"\r", b"&#13;")
    # Each delimiter and the code after it become the end of the subfield before and the
    # start of this one.
    tagged = _DELIMITER_AND_CODE.split(text)  # text, code, text, code... text
    tagged[1::2] = map(_SUBFIELD_START.__getitem__, tagged[1::2])
    pieces = b"".join(tagged).split(_FIELD_END)
    if len(pieces) != len(fields):
        raise ValueError("fields_to_marcxml: a field holds a field terminator")
    # Each field: its opening, its text, its end.
    out = [b""] * (3 * len(fields) + 2)
    out[0] = b"".join((_RECORD_OPEN, xml_attribute(leader).encode("ascii"), b"</leader>\n"))
    end = 1 + 3 * controls
    out[1:end:3] = map(_control_opening, control_tags)
    out[2:end:3] = pieces[:controls]
    out[3:end:3] = [_CONTROL_END] * controls
    data_fields = len(fields) - controls
    out[end:-1:3] = map(_data_opening, data_tags, map(_OPENING_KEY, data_data))
    out[end + 1 : -1 : 3] = pieces[controls:]
    out[end + 2 : -1 : 3] = [_DATA_END] * data_fields
    out[-1] = b"</record>\n"
    return b"".join(out)
