"""MARC mnemonic text (MarcEdit's .mrk, UTF-8), read a line at a time.

    =LDR  00000nam a2200000 a 4500
    =001  ocm12345678
    =245  10$aA title /$cby someone.

Records start at ``=LDR`` and are separated by blank lines. ``\\`` is a blank indicator (and
a blank in the leader and control fields), ``$`` starts a subfield; ``{dollar}`` is a literal
dollar sign, ``{lcub}`` and ``{rcub}`` braces (the editor's text form, app.core.marc.mrk).
Other mnemonics in braces are kept as text and noted on the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from app.core.marc.iso2709 import LEADER_LENGTH, build_record
from app.core.marc.iso2709 import parse_record as parse_iso2709
from app.core.marc.mrk import MNEMONICS, unescape
from app.core.marc.readresults import ReadError, ReadResult, RecordRead
from app.core.marc.record import Field, StructureError

_MNEMONIC = re.compile(r"\{[^{}\s]{1,30}\}")


@dataclass
class _Lines:
    """The lines of one record, with where it started."""

    number: int
    offset: int
    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, text)
    problem: str | None = None


def read_mnemonic(stream: BinaryIO, file: str) -> Iterator[ReadResult]:
    number = 0
    offset = 0
    current: _Lines | None = None
    for line_number, raw_line in enumerate(stream, start=1):
        line_offset = offset
        offset += len(raw_line)
        if line_number == 1 and raw_line.startswith(b"\xef\xbb\xbf"):
            raw_line = raw_line[3:]
            line_offset += 3
        try:
            text = raw_line.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            text = raw_line.decode("utf-8", "replace").rstrip("\r\n")
            if current is None:
                number += 1
                current = _Lines(number, line_offset, line_number)
            if current.problem is None:
                current.problem = f"line {line_number} is not valid UTF-8"
            continue
        if not text.strip():
            if current is not None:
                yield _finish(current, file)
                current = None
            continue
        if text.startswith("=LDR") and current is not None and current.lines:
            yield _finish(current, file)
            current = None
        if current is None:
            number += 1
            current = _Lines(number, line_offset, line_number)
        current.lines.append((line_number, text))
    if current is not None:
        yield _finish(current, file)


def _finish(record: _Lines, file: str) -> ReadResult:
    def error(reason: str) -> ReadError:
        return ReadError(file, record.number, record.offset, reason, line=record.line)

    if record.problem is not None:
        return error(record.problem)
    leader: str | None = None
    fields: list[Field] = []
    notes: list[str] = []
    for line_number, text in record.lines:
        if not text.startswith("=") or len(text) < 4:
            return error(f"line {line_number} is not a field line ('=TAG  ...'): {text[:40]!r}")
        tag, rest = text[1:4], text[4:]
        if rest[:2] == "  ":
            rest = rest[2:]
        elif rest:
            return error(f"line {line_number}: two spaces should follow the tag {tag}")
        for mnemonic in sorted(set(_MNEMONIC.findall(rest)) - MNEMONICS):
            notes.append(f"line {line_number}: the mnemonic {mnemonic} was kept as text")
        if tag == "LDR":
            if leader is not None:
                return error(f"line {line_number}: a second leader in the same record")
            leader = rest.replace("\\", " ")
            continue
        if not (tag.isascii() and tag.isalnum()):
            return error(f"line {line_number}: '{tag}' is not a tag")
        if tag.startswith("00") and tag.isdigit():
            fields.append(Field(tag, unescape(rest.replace("\\", " ")).encode()))
            continue
        if len(rest) < 2:
            return error(f"line {line_number}: field {tag} has no indicators")
        indicators = rest[:2].replace("\\", " ")
        body = "\x1f".join(unescape(part) for part in rest[2:].split("$"))
        fields.append(Field(tag, (indicators + body).encode("utf-8")))
    if leader is None:
        return error("the record has no leader (=LDR line)")
    if len(leader) != LEADER_LENGTH:
        notes.append(f"the leader is {len(leader)} characters long, not {LEADER_LENGTH}")
    leader = leader.ljust(LEADER_LENGTH)[:LEADER_LENGTH]
    leader = leader[:9] + "a" + leader[10:]  # the text was UTF-8, so is the record now
    try:
        raw = build_record(leader, fields)
        parsed = parse_iso2709(raw)
    except StructureError as problem:
        return error(str(problem))
    return RecordRead(raw, parsed, "mnemonic", file, record.number, record.offset, tuple(notes))
