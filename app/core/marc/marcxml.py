"""A streaming MARCXML reader: a collection or a single record, with or without the MARC
namespace. Each record becomes UTF-8 ISO 2709 as it ends, so memory holds one record.

Written on expat's push parser (the parser under ElementTree's iterparse) rather than on
iterparse itself: its handlers know the exact byte and line where each record starts and
where the XML stops being well formed, which a cataloger needs to find the spot.

A record already parsed into an ElementTree element (an SRU response, parsed whole by
ElementTree's C parser) is read from the element itself by :func:`record_from_element`, with
the same checks, notes and messages, and no second pass of XML.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree.ElementTree import Element
from xml.parsers import expat

from app.core.marc.iso2709 import LEADER_LENGTH, build_parsed
from app.core.marc.readresults import ReadError, ReadResult, RecordRead
from app.core.marc.record import Field, StructureError

MARC_NAMESPACE = "http://www.loc.gov/MARC21/slim"
_SEPARATOR = "\x01"  # between namespace and local name in expat's element names
_CHUNK = 256 * 1024
# The encoding named in the XML declaration, which must open the document.
_DECLARED_ENCODING = re.compile(r"""\A<\?xml\s[^>]*?\bencoding\s*=\s*(["'])(.*?)\1""")
# The encodings expat reads itself, by the codec names Python gives them; any other is read
# through a table of 256 characters, so only a one-byte encoding can be.
_EXPAT_ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16LE",
    "utf-16-be": "UTF-16BE",
    "ascii": "US-ASCII",
    "iso8859-1": "ISO-8859-1",
}
# ElementTree's names of the MARC elements (namespaced, or in no namespace) and their kind.
_ELEMENT_KINDS = {
    name: local
    for local in ("record", "leader", "controlfield", "datafield", "subfield")
    for name in (local, f"{{{MARC_NAMESPACE}}}{local}")
}
_SUBFIELD_TAGS = frozenset(("subfield", f"{{{MARC_NAMESPACE}}}subfield"))


@dataclass
class _RecordInProgress:
    number: int
    offset: int
    line: int | None
    leader: str | None = None
    fields: list[Field] = field(default_factory=list)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        if self.problem is None:  # the first problem is the one worth telling
            self.problem = reason


class _Handler:
    """expat callbacks that assemble records and queue what to yield."""

    def __init__(self, parser: expat.XMLParserType, file: str) -> None:
        self.parser = parser
        self.file = file
        self.results: list[ReadResult] = []
        self.count = 0
        self.root: str | None = None
        self.record: _RecordInProgress | None = None
        self.text: list[str] | None = None  # collecting character data when not None
        self.tag = ""
        self.indicators = b"  "
        self.subfields: list[bytes] = []
        self.code = ""

    @staticmethod
    def local_name(name: str) -> str | None:
        """The MARC element name, or None for an element of another namespace (a wrapper
        such as OAI-PMH's own <record>)."""
        namespace, _, local = name.rpartition(_SEPARATOR)
        if namespace and namespace != MARC_NAMESPACE:
            return None
        return local

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name.rpartition(_SEPARATOR)[2]
        local = self.local_name(name)
        record = self.record
        if local == "record":
            self.count += 1
            self.record = _RecordInProgress(
                self.count, self.parser.CurrentByteIndex, self.parser.CurrentLineNumber
            )
            return
        if record is None or local is None:
            return
        if local == "leader":
            self.text = []
        elif local == "controlfield":
            self.tag = _checked_tag(record, attrs.get("tag"), "controlfield")
            self.text = []
        elif local == "datafield":
            self.tag = _checked_tag(record, attrs.get("tag"), "datafield")
            self.indicators = (
                _indicator(record, self.tag, attrs.get("ind1"))
                + _indicator(record, self.tag, attrs.get("ind2"))
            ).encode("utf-8")
            self.subfields = []
        elif local == "subfield":
            self.code = _subfield_code(record, self.tag, attrs.get("code", ""))
            self.text = []

    def end(self, name: str) -> None:
        local = self.local_name(name)
        record = self.record
        if record is None or local is None:
            return
        if local == "record":
            self.results.append(_finished(record, self.file))
            self.record = None
        elif local == "leader":
            record.leader = self.take_text()
        elif local == "controlfield":
            data = self.take_text().encode("utf-8")
            if self.tag:
                record.fields.append(Field(self.tag, data))
        elif local == "datafield":
            if self.tag:
                record.fields.append(Field(self.tag, self.indicators + b"".join(self.subfields)))
        elif local == "subfield":
            value = self.take_text()
            if self.code:
                self.subfields.append(b"\x1f" + (self.code + value).encode("utf-8"))

    def characters(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def take_text(self) -> str:
        text = "".join(self.text or ())
        self.text = None
        return text


def _checked_tag(record: _RecordInProgress, tag: str | None, element: str) -> str:
    if not tag:
        record.fail(f"a {element} has no tag")
        return ""
    if tag.isdigit() and len(tag) < 3:
        record.notes.append(f"tag '{tag}' read as {tag.zfill(3)}")
        tag = tag.zfill(3)
    if len(tag) != 3 or not tag.isascii() or not tag.isalnum():
        record.fail(f"a {element} has the tag '{tag}', which is not three letters or digits")
        return ""
    return tag


def _indicator(record: _RecordInProgress, tag: str, value: str | None) -> str:
    if not value:
        return " "
    if len(value) != 1:
        record.fail(f"field {tag} has the indicator '{value}'; an indicator is one character")
    return value[:1]


def _subfield_code(record: _RecordInProgress, tag: str, code: str) -> str:
    if len(code) != 1:
        shown = f"'{code}'" if code else "no code"
        record.fail(
            f"a subfield of field {tag or '(no tag)'} has {shown}; a subfield code is one character"
        )
    return code[:1]


def _finished(record: _RecordInProgress, file: str) -> ReadResult:
    def error(reason: str) -> ReadError:
        return ReadError(file, record.number, record.offset, reason, line=record.line)

    if record.problem is not None:
        return error(record.problem)
    if record.leader is None:
        return error("the record has no leader")
    if len(record.leader) != LEADER_LENGTH:
        record.notes.append(
            f"the leader is {len(record.leader)} characters long, not {LEADER_LENGTH}"
        )
    # The record is now UTF-8, whatever leader/09 said in the XML.
    leader = record.leader.ljust(LEADER_LENGTH)[:LEADER_LENGTH]
    leader = leader[:9] + "a" + leader[10:]
    try:
        raw, parsed = build_parsed(leader, record.fields)
    except StructureError as problem:
        return error(str(problem))
    return RecordRead(
        raw, parsed, "marcxml", file, record.number, record.offset, tuple(record.notes)
    )


def record_from_element(
    element: Element, file: str, number: int, offset: int = 0
) -> ReadResult | None:
    """The MARCXML record ``element`` (a <record>, namespaced or not), read as read_marcxml
    reads it, as record ``number`` of ``file``; None when it holds anything but the leader,
    control fields and data fields of subfields with text only (a comment kept, an element
    of another namespace...), which only read_marcxml, over its bytes, reads as it should."""
    kinds = _ELEMENT_KINDS
    subfield_tags = _SUBFIELD_TAGS
    record = _RecordInProgress(number, offset, None)
    fields = record.fields
    for child in element:
        kind = kinds.get(child.tag)  # a comment's tag would be a function: no kind
        # The usual tag, indicators and codes are taken as they are; any other goes through
        # the checks read_marcxml makes, for the same notes and messages.
        if kind == "datafield" or kind == "controlfield":
            tag = child.get("tag", "")
            if len(tag) != 3 or not tag.isascii() or not tag.isalnum():
                tag = _checked_tag(record, tag, kind)
        if kind == "datafield":
            text = (child.get("ind1") or " ") + (child.get("ind2") or " ")
            if len(text) != 2:
                text = _indicator(record, tag, child.get("ind1")) + _indicator(
                    record, tag, child.get("ind2")
                )
            for subfield in child:
                if subfield.tag not in subfield_tags or len(subfield):
                    return None
                code = subfield.get("code", "")
                if len(code) != 1:
                    code = _subfield_code(record, tag, code)
                    if not code:
                        continue
                text += "\x1f" + code + (subfield.text or "")
            if tag:
                fields.append(Field(tag, text.encode("utf-8")))
        elif kind == "controlfield":
            if len(child):
                return None
            if tag:
                fields.append(Field(tag, (child.text or "").encode("utf-8")))
        elif kind == "leader" and not len(child):
            record.leader = child.text or ""
        else:
            return None
    return _finished(record, file)


def read_marcxml(stream: BinaryIO, file: str) -> Iterator[ReadResult]:
    chunk = stream.read(_CHUNK)
    try:
        encoding = _encoding_for_expat(chunk)
    except _UnreadableEncoding as problem:
        yield ReadError(file, 0, 0, str(problem), line=1)
        return
    parser = expat.ParserCreate(encoding, namespace_separator=_SEPARATOR)
    parser.buffer_text = True
    handler = _Handler(parser, file)
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.characters
    while True:
        try:
            parser.Parse(chunk, not chunk)
        except (LookupError, ValueError, UnicodeError) as problem:
            # pyexpat asks Python's codecs for an encoding it does not know itself; whatever
            # _encoding_for_expat did not foresee ends the file here, with a reason.
            yield from handler.results
            yield ReadError(
                file, 0, 0, f"the file's character encoding can't be read ({problem})", line=1
            )
            return
        except expat.ExpatError as problem:
            yield from handler.results
            yield _not_well_formed(handler, problem, parser.ErrorByteIndex, file)
            return
        yield from handler.results
        handler.results.clear()
        if not chunk:
            break
        chunk = stream.read(_CHUNK)
    if handler.count == 0:
        root = handler.root or "(none)"
        yield ReadError(
            file, 0, 0, f"this XML file holds no MARCXML records (its root element is <{root}>)"
        )


def _not_well_formed(
    handler: _Handler, problem: expat.ExpatError, offset: int, file: str
) -> ReadError:
    line, column = problem.lineno, problem.offset + 1
    number = handler.record.number if handler.record is not None else handler.count + 1
    reason = (
        f"the XML stops being well formed at line {line}, column {column} "
        f"({expat.ErrorString(problem.code)}); the rest of the file was not read"
    )
    return ReadError(file, number, max(offset, 0), reason, line=line, column=column)


class _UnreadableEncoding(Exception):
    """The XML declaration names an encoding this reader can't use; the message says which."""


def _encoding_for_expat(head: bytes) -> str | None:
    """The encoding to hand expat (None: let it go by the document), from the XML declaration
    at the start of ``head``; raises _UnreadableEncoding when it names one expat can't read."""
    found = _DECLARED_ENCODING.match(_declaration_text(head))
    if found is None:
        return None
    name = found.group(2)
    shown = name if name.isprintable() and len(name) <= 40 else repr(name[:40])
    try:
        codec = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        codec = None
    if codec is None or not getattr(codec, "_is_text_encoding", True):
        raise _UnreadableEncoding(
            f"the XML declaration names the character encoding '{shown}', which ExportDesk "
            'does not know; MARCXML is normally UTF-8 (encoding="UTF-8")'
        )
    native = _EXPAT_ENCODINGS.get(codec.name)
    if native is not None:
        # "utf8", "latin1"...: what expat reads itself, though it knows only the standard names.
        return None if name.upper() == native else native
    if not _is_one_byte(name):
        raise _UnreadableEncoding(
            f"the XML declaration names the character encoding '{shown}', which ExportDesk "
            "can't read in XML (it reads UTF-8, UTF-16 and one-byte encodings such as "
            "ISO-8859-1); convert the file to UTF-8"
        )
    return None


def _declaration_text(head: bytes) -> str:
    """The start of the document as text, enough to find its XML declaration."""
    head = head[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", "replace")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", "replace")
    return head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")


def _is_one_byte(name: str) -> bool:
    """True when ``name`` decodes each byte to one character, on its own, as expat needs."""
    try:
        table = bytes(range(256)).decode(name, "replace")
        return len(table) == 256 and all(
            bytes([byte]).decode(name, "replace") == table[byte] for byte in range(256)
        )
    except (LookupError, ValueError, UnicodeError, TypeError):
        return False
