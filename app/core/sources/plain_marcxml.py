"""A MARCXML record read straight from its bytes, when they are written plainly: the shape in
which SRU servers (Zebra, the Library of Congress, Koha...) and pymarc write records.

    <record xmlns="http://www.loc.gov/MARC21/slim">
      <leader>00912nam a2200121 i 4500</leader>
      <controlfield tag="001">bench000001</controlfield>
      <datafield tag="245" ind1="1" ind2="0">
        <subfield code="a">Title :</subfield>
      </datafield>
    </record>

A record given in that shape gives exactly what marcxml.record_from_element gives for it
parsed, without building XML elements first (about 25 µs a record against 47). References
to XML's five entities and to characters by number are read as a parser reads them.
Anything else returns None, for the general way: another attribute order or quoting, names
with prefixes, a comment, another reference, a leader that is not 24 characters, a character
that XML does not allow or that needs normalizing (a carriage return), bytes that are not
UTF-8. So that the record means the same wherever it stands, its
own <record> must declare the MARC namespace and any prefix its attributes use; the
document around it must have no DTD (the caller's to check).
"""

from __future__ import annotations

import re

from app.core.marc.iso2709 import LEADER_LENGTH, build_parsed
from app.core.marc.marcxml import MARC_NAMESPACE
from app.core.marc.readresults import RecordRead
from app.core.marc.record import Field, StructureError

_SPACE = rb"[ \t\n]*"
_NAME = rb"[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?"
_VALUE = rb"""(?:"[^"<&]*"|'[^'<&]*')"""
_OPENING = re.compile(
    _SPACE + rb"<record((?:[ \t\n]+" + _NAME + _SPACE + b"=" + _SPACE + _VALUE + rb")*)"
    + _SPACE + rb">" + _SPACE + rb"<leader>([^<]*)</leader>"
)  # fmt: skip
_ATTRIBUTE = re.compile(
    rb"(" + _NAME + rb")" + _SPACE + b"=" + _SPACE + rb"""(?:"([^"]*)"|'([^']*)')"""
)  # the values: one of the two groups is None
_PLAIN_NAMESPACE = b' xmlns="' + MARC_NAMESPACE.encode() + b'"'
_RESERVED_NAMESPACES = (b"http://www.w3.org/XML/1998/namespace", b"http://www.w3.org/2000/xmlns/")
# A tag as record_from_element takes it unchecked; an indicator or code: one printable ASCII
# character that an attribute value holds as it is.
_TAG = rb"([0-9A-Za-z]{3})"
_CHARACTER = rb"""([ !#-%'-;=-~])"""
_SUBFIELD = rb'<subfield code="' + _CHARACTER + rb'">([^<]*)</subfield>'
_ANY_SUBFIELD = rb"""<subfield code="[ !#-%'-;=-~]">[^<]*</subfield>"""
_FIELD = re.compile(
    _SPACE
    + rb"(?:<controlfield tag=\"" + _TAG + rb"\">([^<]*)</controlfield>"
    + rb"|<datafield (?:tag=\"" + _TAG + rb"\" ind1=\"" + _CHARACTER + rb"\" ind2=\""
    + _CHARACTER + rb"\"|ind1=\"" + _CHARACTER + rb"\" ind2=\"" + _CHARACTER + rb"\" tag=\""
    + _TAG + rb"\")>((?:" + _SPACE + _ANY_SUBFIELD + rb")*)" + _SPACE + rb"</datafield>)"
)  # fmt: skip
_SUBFIELDS = re.compile(_SUBFIELD)
_CLOSING = re.compile(_SPACE + rb"</record" + _SPACE + rb">" + _SPACE)
_REFERENCE = re.compile(rb"&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,8})|#x([0-9a-fA-F]{1,6}));")
_NAMED = {b"lt": b"<", b"gt": b">", b"amp": b"&", b"quot": b'"', b"apos": b"'"}
# Bytes XML does not allow (C0 controls but tab and line feed) or that a parser changes (a
# carriage return); U+FFFE and U+FFFF are looked for apart.
_NOT_PLAIN = bytes(range(0x20)).replace(b"\t", b"").replace(b"\n", b"")


def plain_record(data: bytes, file: str, number: int) -> RecordRead | None:
    """The record whose MARCXML is ``data`` (one <record> element, with the whitespace
    around it), read as record ``number`` of ``file``; None when it is not written plainly."""
    if len(data.translate(None, _NOT_PLAIN)) != len(data) or b"]]>" in data:
        return None
    if b"\xef\xbf" in data and (b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data):
        return None
    opening = _OPENING.match(data)
    if opening is None or not _own_namespace(opening[1]):
        return None
    try:
        data.decode("utf-8")
        leader = opening[2].decode("ascii")
    except UnicodeDecodeError:
        return None
    entities = b"&" in data
    if entities:
        unescaped = _unescaped(opening[2])
        if unescaped is None or not unescaped.isascii():
            return None
        leader = unescaped.decode("ascii")
    if len(leader) != LEADER_LENGTH:
        return None  # the general way notes it
    fields: list[Field] = []
    position = opening.end()
    for found in _FIELD.finditer(data, position):
        if found.start() != position:
            return None
        position = found.end()
        control, control_data, tag, ind1, ind2, ind1_, ind2_, tag_, block = found.groups()
        if control is not None:
            text = control_data
        else:
            text = (ind1 or ind1_) + (ind2 or ind2_)
            if block:
                text += b"".join(
                    [b"\x1f" + code + value for code, value in _SUBFIELDS.findall(block)]
                )
            control = tag or tag_
        if entities:
            text = _unescaped(text)
            if text is None:
                return None
        fields.append(Field(control.decode("ascii"), text))
    if _CLOSING.fullmatch(data, position) is None:
        return None
    try:
        raw, parsed = build_parsed(leader[:9] + "a" + leader[10:], fields)
    except StructureError:
        return None  # the general way says why
    return RecordRead(raw, parsed, "marcxml", file, number, 0, ())


def _own_namespace(attributes: bytes) -> bool:
    """Whether the <record>'s attributes declare the MARC namespace as the default and every
    prefix they use, each name once (so that the record means the same anywhere)."""
    if attributes == _PLAIN_NAMESPACE:
        return True
    found = [
        (each[1], each[2] if each[2] is not None else each[3])
        for each in _ATTRIBUTE.finditer(attributes)
    ]
    names = dict(found)
    if len(names) != len(found) or names.get(b"xmlns") != MARC_NAMESPACE.encode():
        return False  # a name given twice, or not the MARC namespace
    declared: set[bytes] = set()
    for name, value in found:
        prefix, colon, local = name.partition(b":")
        if prefix == b"xmlns" and colon:
            if local in (b"xml", b"xmlns") or not value or value in _RESERVED_NAMESPACES:
                return False
            declared.add(local)
    seen: set[bytes] = set()
    for name, _ in found:
        prefix, colon, local = name.partition(b":")
        if not colon or prefix == b"xmlns":
            continue
        if (prefix != b"xml" and prefix not in declared) or local in seen:
            return False
        seen.add(local)
    return True


def _unescaped(text: bytes) -> bytes | None:
    """``text`` with XML's references replaced (the five named entities, and characters by
    number); None for any other, or for a character XML does not allow."""
    if b"&" not in text:
        return text
    if text.count(b"&") != len(_REFERENCE.findall(text)):
        return None
    try:
        return _REFERENCE.sub(_referenced, text)
    except ValueError:
        return None


def _referenced(found: re.Match[bytes]) -> bytes:
    named = found[1]
    if named is not None:
        return _NAMED[named]
    code = int(found[2], 10) if found[2] is not None else int(found[3], 16)
    if not (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    ):
        raise ValueError(f"&#{code}; is not a character XML allows")
    return chr(code).encode("utf-8")
