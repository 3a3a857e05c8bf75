"""A record as mnemonic text, the form the editor shows and ``records show --format mrk``
prints, and that text back to the record's bytes.

    =LDR  01234cam a2200289 a 4500
    =001  ocm12345678
    =245  10$aA title /$cby someone.

The same form the .mrk importer reads (:mod:`app.core.marc.mnemonic`): ``\\`` is a blank in
the leader, control fields and indicators; ``$`` starts a subfield; a ``$`` in data is
``{dollar}``, braces are ``{lcub}`` and ``{rcub}``. Control characters, which a line can't
hold, show as the Unicode control pictures (U+2400...); only a line changed keeps them so.

Saving text gives back bytes, never touching what was not changed:

- text identical to the record's own text gives the stored bytes, byte for byte;
- otherwise every line that reads as one of the record's fields did keeps that field's bytes,
  and only new or changed lines are encoded: in the record's encoding (a MARC-8 record stays
  MARC-8, characters MARC-8 lacks written as ``&#xXXXX;`` and listed) and, for UTF-8, in the
  record's Unicode normalization (NFC, or NFD for a decomposed record).

Lines that can't be read are reported by line number (:class:`TextError`); nothing is built
from them. Nothing here knows of the save file: the store keeps revisions, the window edits.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from app.core.errors import ExportDeskError
from app.core.marc.charset import Encoding, declared_encoding, decode_text
from app.core.marc.fields import pattern_matches
from app.core.marc.iso2709 import (
    LEADER_LENGTH,
    MAX_FIELD_LENGTH,
    build_record,
    parse_record,
)
from app.core.marc.marc8 import encode_marc8
from app.core.marc.record import Field, ParsedRecord, StructureError, is_control_tag

NormalForm = Literal["NFC", "NFD"]
LEADER_TAG = "LDR"
DELIMITER = "$"
BLANK = "\\"
# What the text form writes for characters that would read as syntax.
_ESCAPES = {"$": "{dollar}", "{": "{lcub}", "}": "{rcub}"}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)
_UNESCAPE = re.compile(r"\{(dollar|lcub|rcub)\}")
_UNESCAPED = {"dollar": "$", "lcub": "{", "rcub": "}"}
MNEMONICS = frozenset(_ESCAPES.values())
# C0 controls and DEL as their control pictures, and the other line breaks Unicode knows as
# the newline symbol: a line can't hold a line break, nor can an editor's line.
_PICTURES = str.maketrans(
    {
        **{chr(i): chr(0x2400 + i) for i in range(0x20)},
        "\x7f": "\u2421",
        **dict.fromkeys("\x85\u2028\u2029", "\u2424"),
    }
)


def escape(text: str) -> str:
    """Data as the text form writes it: ``$``, ``{`` and ``}`` as mnemonics."""
    return text.translate(_ESCAPE_TABLE)


def unescape(text: str) -> str:
    """The data a piece of text form stands for (one pass: ``{lcub}dollar{rcub}`` is
    ``{dollar}`` as text). Other mnemonics are left as they are."""
    if "{" not in text:
        return text
    return _UNESCAPE.sub(lambda match: _UNESCAPED[match.group(1)], text)


# -- bytes to text ------------------------------------------------------------------------


def record_text(raw: bytes) -> str:
    """The record as mnemonic text, a line per field after the leader, ending with a newline.

    Raises :class:`StructureError` when the bytes can't be taken apart into fields."""
    return "\n".join(record_lines(parse_record(raw))) + "\n"


def record_lines(record: ParsedRecord) -> list[str]:
    encoding = write_encoding(record)
    return [leader_line(record.leader)] + [field_line(f, encoding) for f in record.fields]


def leader_line(leader: str) -> str:
    return f"={LEADER_TAG}  " + leader.translate(_PICTURES).replace(" ", BLANK)


def field_line(field: Field, encoding: Encoding) -> str:
    """One field as a line of the text form (``encoding``: how its bytes are written)."""
    tag = field.tag.translate(_PICTURES)
    if field.is_control:
        return f"={tag}  " + _show(field.data, encoding).replace(" ", BLANK)
    parts = field.data[2:].split(b"\x1f")
    indicators = field.data[:2].decode("latin-1").ljust(2).translate(_PICTURES)
    text = indicators.replace(" ", BLANK) + _show(parts[0], encoding)
    for part in parts[1:]:
        code = part[:1].decode("latin-1").translate(_PICTURES)
        text += DELIMITER + escape(code) + _show(part[1:], encoding)
    return f"={tag}  {text}"


def _show(data: bytes, encoding: Encoding) -> str:
    if data.isascii() and b"\x1b" not in data:
        text = data.decode("ascii")
    else:
        text = decode_text(data, encoding)
    return escape(text).translate(_PICTURES)


def write_encoding(record: ParsedRecord) -> Encoding:
    """How the record's text is written: leader/09 says, except that a record saying MARC-8
    whose every non-ASCII subfield is UTF-8 (a common mislabel, which display reads as
    UTF-8 too) is written as UTF-8, so that a change does not mix the two."""
    declared = declared_encoding(record.leader)
    if declared == "UTF-8":
        return declared
    seen_utf8 = False
    for field in record.fields:
        data = field.data
        if b"\x1b" in data:
            return "MARC-8"
        if data.isascii():
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return "MARC-8"
        seen_utf8 = True
    return "UTF-8" if seen_utf8 else "MARC-8"


def normal_form(record: ParsedRecord) -> NormalForm:
    """NFD for a UTF-8 record whose text is decomposed, else NFC (what an edit is written in)."""
    if write_encoding(record) != "UTF-8":
        return "NFC"
    for field in record.fields:
        if field.data.isascii():
            continue
        try:
            text = field.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not unicodedata.is_normalized("NFC", text):
            return "NFD" if unicodedata.is_normalized("NFD", text) else "NFC"
    return "NFC"


# -- text to fields -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineError:
    """A line of the text that can't be read (``line`` counts from 1; 0: the whole text)."""

    line: int
    message: str

    def describe(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class TextError(ExportDeskError):
    """The text can't be saved as a record; ``errors`` says where and why."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        shown = "; ".join(error.describe() for error in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"the record's text can't be read: {shown}{more}")
        self.errors = tuple(errors)


@dataclass(frozen=True, slots=True)
class TextField:
    """One field read from a line, its data as text (not yet in any encoding).

    A control field has only ``value``; a data field its ``indicators``, any ``lead`` (text
    before the first subfield: a defect, but kept) and ``subfields`` as (code, value)."""

    tag: str
    value: str = ""
    indicators: str = ""
    lead: str = ""
    subfields: tuple[tuple[str, str], ...] = ()

    @property
    def is_control(self) -> bool:
        return is_control_tag(self.tag)

    def line(self) -> str:
        """The field's line in the text form, as field_line writes it."""
        if self.is_control:
            return f"={self.tag}  " + escape(self.value).replace(" ", BLANK)
        text = self.indicators.replace(" ", BLANK) + escape(self.lead)
        for code, value in self.subfields:
            text += DELIMITER + escape(code + value)
        return f"={self.tag}  {text}"

    def encode(self, encode_text: Callable[[str], bytes]) -> Field:
        if self.is_control:
            return Field(self.tag, encode_text(self.value))
        data = self.indicators.encode("ascii") + encode_text(self.lead)
        for code, value in self.subfields:
            data += b"\x1f" + code.encode("ascii") + encode_text(value)
        return Field(self.tag, data)


def parse_line(text: str, number: int = 0) -> TextField | LineError:
    """A field line (``=TAG  ...``) as a TextField, or why it can't be one."""

    def error(message: str) -> LineError:
        return LineError(number, message)

    if not text.startswith("=") or len(text) < 4:
        return error(f"not a field line ('=TAG  ...'): {text[:40]!r}")
    tag, rest = text[1:4], text[4:]
    if rest[:2] == "  ":
        rest = rest[2:]
    elif rest:
        return error(f"two spaces should follow the tag {tag}")
    if not (tag.isascii() and tag.isalnum()):
        return error(f"'{tag}' is not a tag (three letters or digits)")
    if is_control_tag(tag):
        return TextField(tag, value=unescape(rest.replace(BLANK, " ")))
    if len(rest) < 2:
        return error(f"field {tag} has no indicators (write \\\\ for two blanks)")
    indicators = rest[:2].replace(BLANK, " ")
    if not (indicators.isascii() and indicators.isprintable()):
        return error(f"the indicators of field {tag} must be two digits, letters or \\")
    parts = rest[2:].split(DELIMITER)
    subfields = []
    for part in (unescape(p) for p in parts[1:]):
        code = part[:1]
        if code and not (code.isascii() and code.isprintable()):
            return error(f"'{code}' can't be a subfield code in field {tag}: use a letter, digit")
        subfields.append((code, part[1:]))
    return TextField(
        tag, indicators=indicators, lead=unescape(parts[0]), subfields=tuple(subfields)
    )


def _content_lines(text: str) -> list[tuple[int, str]]:
    """The text's lines that are not blank, with their numbers (a BOM and CRs dropped)."""
    lines = text.removeprefix("\ufeff").split("\n")
    return [(n, line.removesuffix("\r")) for n, line in enumerate(lines, 1) if line.strip()]


def parse_fields(text: str) -> tuple[list[TextField], list[LineError]]:
    """Field lines without a leader (a constant data template): the fields and the errors.
    A =LDR line is passed over."""
    fields: list[TextField] = []
    errors: list[LineError] = []
    for number, line in _content_lines(text):
        if line.startswith(f"={LEADER_TAG}"):
            continue
        parsed = parse_line(line, number)
        if isinstance(parsed, LineError):
            errors.append(parsed)
        else:
            fields.append(parsed)
    return fields, errors


def text_encoder(
    encoding: Encoding, form: NormalForm = "NFC", replaced: list[str] | None = None
) -> Callable[[str], bytes]:
    """Text to bytes as a record of ``encoding`` holds it; MARC-8 lists in ``replaced``
    the characters it had to write as ``&#xXXXX;``."""
    if encoding == "UTF-8":
        return lambda text: unicodedata.normalize(form, text).encode("utf-8", "surrogatepass")

    def to_marc8(text: str) -> bytes:
        data, unmappable = encode_marc8(text)
        if replaced is not None:
            replaced.extend(c for c in unmappable if c not in replaced)
        return data

    return to_marc8


# -- text to bytes ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EditedRecord:
    """What saving a text gives: the bytes, whether they differ from the original's, and the
    characters written as ``&#xXXXX;`` (MARC-8 lacks them)."""

    raw: bytes
    changed: bool
    replaced: tuple[str, ...] = ()


def check_text(text: str, original: bytes | None = None) -> list[LineError]:
    """Every reason the text can't be saved (empty when it can), as text_to_record finds."""
    try:
        text_to_record(text, original)
    except TextError as problem:
        return list(problem.errors)
    return []


def text_to_record(text: str, original: bytes | None = None) -> EditedRecord:
    """The record the text describes, as ISO 2709 bytes (see the module's doc).

    ``original`` is the record's stored bytes (None for a new record, then leader/09 says
    the encoding and the text is NFC). Raises :class:`TextError` naming each line that can't
    be read."""
    lines = _content_lines(text)
    before: ParsedRecord | None = None
    if original is not None:
        try:
            before = parse_record(original)
        except StructureError:
            before = None
    if before is not None and original is not None:
        own = record_lines(before)
        if [line for _, line in lines] == own:
            return EditedRecord(original, changed=False)
    errors: list[LineError] = []
    leader: str | None = None
    field_lines: list[tuple[int, str]] = []
    for number, line in lines:
        if not line.startswith(f"={LEADER_TAG}"):
            field_lines.append((number, line))
            continue
        if leader is not None:
            errors.append(LineError(number, "a second leader (=LDR line)"))
            continue
        leader = _read_leader(line, number, before, errors)
    if leader is None and not any(e.message.startswith("the leader") for e in errors):
        errors.append(LineError(0, "the record has no leader (an =LDR line)"))
    if not field_lines:
        errors.append(LineError(0, "the record has no fields"))
    encoding: Encoding = declared_encoding(leader or "")
    form: NormalForm = "NFC"
    pool: dict[str, deque[Field]] = defaultdict(deque)
    if before is not None:
        kept_encoding = write_encoding(before)
        if leader is not None and leader[9:10] == before.leader[9:10]:
            encoding = kept_encoding
        if encoding == kept_encoding:
            form = normal_form(before)
            for field, line in zip(before.fields, record_lines(before)[1:], strict=True):
                pool[line].append(field)
    replaced: list[str] = []
    encode_text = text_encoder(encoding, form, replaced)
    fields: list[Field] = []
    for number, line in field_lines:
        if pool.get(line):
            fields.append(pool[line].popleft())
            continue
        parsed = parse_line(line, number)
        if isinstance(parsed, LineError):
            errors.append(parsed)
            continue
        field = parsed.encode(encode_text)
        if len(field.data) + 1 > MAX_FIELD_LENGTH:
            errors.append(
                LineError(
                    number,
                    f"field {field.tag} would be {len(field.data) + 1:,} bytes long; a field "
                    f"can be at most {MAX_FIELD_LENGTH:,}",
                )
            )
            continue
        fields.append(field)
    if errors or leader is None:
        raise TextError(sorted(errors, key=lambda e: e.line))
    try:
        raw = build_record(leader, fields)
    except StructureError as problem:
        raise TextError([LineError(0, str(problem))]) from problem
    return EditedRecord(raw, changed=raw != original, replaced=tuple(replaced))


def _read_leader(
    line: str, number: int, before: ParsedRecord | None, errors: list[LineError]
) -> str | None:
    if before is not None and line == leader_line(before.leader):
        return before.leader
    rest = line[len(LEADER_TAG) + 1 :]
    if rest[:2] != "  ":
        errors.append(LineError(number, "two spaces should follow LDR"))
        return None
    leader = rest[2:].replace(BLANK, " ")
    if len(leader) != LEADER_LENGTH:
        errors.append(
            LineError(
                number,
                f"the leader is {len(leader)} characters long; it must be {LEADER_LENGTH}",
            )
        )
        return None
    if not (leader.isascii() and leader.isprintable()):
        errors.append(LineError(number, "the leader can hold only ASCII letters, digits, blanks"))
        return None
    return leader


# -- a record's fields and a list of fields -----------------------------------------------


def field_lines_of(record: ParsedRecord) -> list[str]:
    """Each field's line, NFC: what "the same field" means for constant data."""
    encoding = write_encoding(record)
    return [unicodedata.normalize("NFC", field_line(f, encoding)) for f in record.fields]


def add_fields(record: ParsedRecord, fields: Iterable[TextField]) -> tuple[ParsedRecord, int]:
    """The record with each of ``fields`` added in tag order (after the last field whose tag
    is not greater), in the record's encoding and normalization, unless a field with the same
    tag and content is there already: never twice. Returns the record (the same object when
    nothing was added) and how many fields were added."""
    present = set(field_lines_of(record))
    result = list(record.fields)
    encode_text = text_encoder(write_encoding(record), normal_form(record))
    added = 0
    for text_field in fields:
        line = unicodedata.normalize("NFC", text_field.line())
        if line in present:
            continue
        present.add(line)
        at = len(result)
        while at > 0 and result[at - 1].tag > text_field.tag:
            at -= 1
        result.insert(at, text_field.encode(encode_text))
        added += 1
    if not added:
        return record, 0
    return ParsedRecord(record.leader, tuple(result)), added


def with_constant_data(
    record: ParsedRecord, fields_to_delete: Sequence[str], fields: Sequence[TextField]
) -> ParsedRecord:
    """The copy an export sends with constant data: the fields to delete removed first (a
    9XX deletion must not remove the template's 949), then the template's fields added,
    never twice. The same object when nothing changed."""
    kept = tuple(
        f for f in record.fields if not any(pattern_matches(p, f.tag) for p in fields_to_delete)
    )
    if len(kept) != len(record.fields):
        record = ParsedRecord(record.leader, kept)
    return add_fields(record, fields)[0]
