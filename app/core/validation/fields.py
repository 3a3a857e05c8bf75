"""Checks of one data field: indicators, subfields and their repeatability, linkage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.digits import ascii_digits
from app.core.validation.findings import ORDINALS, Findings, as_text, field_name
from app.core.validation.messages import Severity
from app.core.validation.structure import RawField
from app.core.validation.tables import FieldRule, FormatRules, IndicatorRule, quoted

SUBFIELD = 0x1F
SUBFIELD_BYTES = b"\x1f"
DOLLAR6 = ord("6")
# A subfield delimiter not followed by a graphic ASCII character (the subfield code).
BAD_CODE = re.compile(rb"\x1f(?:[^\x21-\x7e]|$)")
# Every subfield code of a field (the byte after each delimiter), and an empty subfield.
CODES = re.compile(rb"\x1f(.)", re.DOTALL)
EMPTY = re.compile(rb"\x1f.(?=\x1f|\Z)", re.DOTALL)


@dataclass(slots=True)
class DataField:
    """A data field split once: indicators and (code, value) subfields, value as bytes."""

    tag: str
    occurrence: int
    ind1: int
    ind2: int
    parts: list[bytes]  # each subfield: its code byte followed by its data
    has_linkage: bool  # a $6 somewhere

    @property
    def subfields(self) -> list[tuple[int, bytes]]:
        """(code, value) pairs, for the checks that read values."""
        return [(part[0], part[1:]) for part in self.parts]


def split_field(field: RawField, findings: Findings) -> DataField | None:
    """Indicators and subfields of a data field, or None (with an error) if malformed."""
    data = field.data
    if len(data) < 3 or data[2] != SUBFIELD:
        report_bad_start(field, findings)
        return None
    if not (0x20 <= data[0] < 0x7F and 0x20 <= data[1] < 0x7F) or BAD_CODE.search(data):
        report_bad_parts(field, findings)
        return None
    return DataField(
        field.tag,
        field.occurrence,
        data[0],
        data[1],
        data[3:].split(SUBFIELD_BYTES),
        b"\x1f6" in data,
    )


def report_bad_start(field: RawField, findings: Findings) -> None:
    data, tag, occurrence = field.data, field.tag, field.occurrence
    name = field_name(tag, occurrence)
    if SUBFIELD in data[:2] or len(data) < 2:
        findings.error(
            tag,
            occurrence,
            "ind1",
            f"{name} lacks its two indicators: its data must start with two indicator"
            " characters and then a subfield code.",
        )
    elif len(data) == 2:
        findings.error(tag, occurrence, None, f"{name} has indicators but no subfields.")
    else:
        findings.error(
            tag,
            occurrence,
            None,
            f"{name} does not have a subfield delimiter after its two indicators (found"
            f" '{as_text(data[2:3])}'); it may have more than two indicators.",
        )


def report_bad_parts(field: RawField, findings: Findings) -> None:
    data, tag, occurrence = field.data, field.tag, field.occurrence
    name = field_name(tag, occurrence)
    for number in (1, 2):
        value = data[number - 1]
        if not 0x20 <= value < 0x7F:
            findings.error(
                tag,
                occurrence,
                f"ind{number}",
                f"{name}: the {ORDINALS[number]} indicator is the byte hex {value:02X}, not a"
                " single character (a letter, digit or blank).",
            )
    for part in data[3:].split(SUBFIELD_BYTES):
        if not part:
            findings.error(
                tag, occurrence, None, f"{name} has a subfield delimiter with no subfield code."
            )
        elif not 0x21 <= part[0] < 0x7F:
            findings.error(
                tag,
                occurrence,
                None,
                f"{name} has a subfield code that is the byte hex {part[0]:02X}; subfield codes"
                " are lowercase letters or digits.",
            )


def format_name(rules: FormatRules) -> str:
    return "bibliographic" if rules.kind == "bib" else "authority"


def origin_note(rule: FieldRule) -> str:
    if rule.origin == "oclc":
        return " (as OCLC defines it)"
    if rule.origin == "holdings":
        return " (per the MARC 21 holdings format)"
    return ""


def field_is_clean(data: bytes, rule: FieldRule, no_empty: bool = False) -> bool:
    """The common case, decided with a few C-level operations: indicators defined, every
    subfield code defined and current, no non-repeatable code repeated, no empty subfield, no
    $6 to look at, field not obsolete. When False, check_field_content says what is wrong.
    ``no_empty``: the record is known to have no empty subfield (one search over it)."""
    if rule.obsolete:
        return False
    indicator = rule.indicators[0]
    if indicator is not None and indicator.checked and data[0] not in indicator.valid:
        return False
    indicator = rule.indicators[1]
    if indicator is not None and indicator.checked and data[1] not in indicator.valid:
        return False
    if rule.subfields is None:
        return True
    codes = CODES.findall(data)
    present = set(codes)
    if not present <= rule.valid_code_bytes or b"6" in present:
        return False
    if len(present) != len(codes):
        for code in present & rule.nonrepeatable_bytes:
            if codes.count(code) > 1:
                return False
    return no_empty or EMPTY.search(data) is None


def check_field_content(
    field: DataField, rule: FieldRule, findings: Findings, linked_to: str | None
) -> None:
    if rule.obsolete and linked_to is None:
        findings.warning(
            field.tag,
            field.occurrence,
            None,
            f"{field_name(field.tag, field.occurrence)} ({rule.name.lower()}) is obsolete in"
            " MARC 21; current records should use its replacement.",
        )
    indicator = rule.indicators[0]
    if indicator is not None and indicator.checked and field.ind1 not in indicator.valid:
        _indicator_finding(field, linked_to, 1, field.ind1, indicator, rule.advisory, findings)
    indicator = rule.indicators[1]
    if indicator is not None and indicator.checked and field.ind2 not in indicator.valid:
        _indicator_finding(field, linked_to, 2, field.ind2, indicator, rule.advisory, findings)
    if rule.subfields is None:
        return
    valid = rule.valid_codes
    nonrepeatable = rule.nonrepeatable
    seen: set[int] = set()
    repeated: set[int] = set()
    for part in field.parts:
        code = part[0]
        if code in seen:
            if code in nonrepeatable and code not in repeated:
                repeated.add(code)
                _subfield_finding(field, rule, code, True, findings, linked_to)
        elif code not in valid:
            _subfield_finding(field, rule, code, False, findings, linked_to)
        seen.add(code)
        if len(part) == 1:
            findings.warning(
                field.tag,
                field.occurrence,
                f"${chr(code)}",
                f"{field_name(field.tag, field.occurrence, linked_to)}: subfield ${chr(code)} is"
                " empty.",
            )
        elif code == DOLLAR6:
            problem = linkage_problem(part[1:])
            if problem:
                findings.error(
                    field.tag,
                    field.occurrence,
                    "$6",
                    f"{field_name(field.tag, field.occurrence, linked_to)}: subfield $6 {problem}",
                )


_LOCAL_SUBFIELD = ord("9")


def _subfield_finding(
    field: DataField,
    rule: FieldRule,
    code: int,
    repeated: bool,
    findings: Findings,
    linked_to: str | None,
) -> None:
    assert rule.subfields is not None
    name = field_name(field.tag, field.occurrence, linked_to)
    severity: Severity = "warning" if rule.advisory else "error"
    sub = rule.subfields.get(code)
    where = f"${chr(code)}"
    if sub is None:
        if code == _LOCAL_SUBFIELD:
            # $9 is left undefined by MARC 21 and used locally (LoC's and NLM's 035 $9, Koha's
            # authority links): a warning, never a reason to hold a record back.
            severity = "warning"
            origin = f"{origin_note(rule)}; it is taken as local data"
        else:
            origin = origin_note(rule)
        findings.add(
            severity,
            field.tag,
            field.occurrence,
            where,
            f"{name}: subfield {where} is not defined{origin}. Defined subfields:"
            f" {_subfield_list(rule)}.",
        )
        return
    if repeated:
        findings.add(
            severity,
            field.tag,
            field.occurrence,
            where,
            f"{name}: subfield {where} ({sub.label}) is not repeatable, but occurs more than once.",
        )
    elif sub.obsolete and not rule.obsolete:  # an obsolete field was reported as a whole
        findings.warning(
            field.tag,
            field.occurrence,
            where,
            f"{name}: subfield {where} ({sub.label}) is obsolete.",
        )


def _subfield_list(rule: FieldRule) -> str:
    assert rule.subfields is not None
    current = [chr(c) for c, s in rule.subfields.items() if not s.obsolete]
    if not current:  # an obsolete field: name the subfields it had
        current = [chr(c) for c in rule.subfields]
    return " ".join(f"${c}" for c in current) or "none"


def _indicator_finding(
    field: DataField,
    linked_to: str | None,
    number: int,
    value: int,
    indicator: IndicatorRule,
    advisory: bool,
    findings: Findings,
) -> None:
    tag, occurrence = field.tag, field.occurrence
    name = field_name(tag, occurrence, linked_to)
    char = quoted(chr(value))
    where = f"ind{number}"
    ordinal = ORDINALS[number]
    if value in indicator.obsolete:
        findings.warning(
            tag,
            occurrence,
            where,
            f"{name}: {ordinal} indicator {char} is an obsolete value. Current values:"
            f" {indicator.allowed}.",
        )
    elif indicator.vague_obsolete or advisory:
        reason = (
            " (it may be a value of an obsolete definition of this indicator)"
            if indicator.vague_obsolete
            else ""
        )
        findings.warning(
            tag,
            occurrence,
            where,
            f"{name}: {ordinal} indicator {char} is not defined{reason}. Allowed:"
            f" {indicator.allowed}.",
        )
    else:
        findings.error(
            tag,
            occurrence,
            where,
            f"{name}: {ordinal} indicator {char} is not valid ({indicator.name.lower()})."
            f" Allowed: {indicator.allowed}.",
        )


def linkage_problem(value: bytes) -> str | None:
    """Subfield $6 reads 'ttt-nn' with optional '/r' (script) and '/r' (orientation)."""
    text = as_text(value)
    head = text.split("/", 1)[0]
    digits = head[:3] + head[4:6]
    if len(head) < 6 or head[3] != "-" or not ascii_digits(digits):
        return (
            f"'{text}' is not a linkage: it must be a tag, a hyphen and a two-digit occurrence"
            " number (880-01, 245-02), optionally followed by /script code."
        )
    return None


def linkage(field: DataField) -> tuple[str, str] | None:
    for part in field.parts:
        if part[0] == DOLLAR6:
            text = as_text(part[1:])
            if len(text) >= 6 and text[3] == "-":
                return text[:3], text[4:6]
            return None
    return None


def check_880_content(field: DataField, rules: FormatRules, findings: Findings) -> None:
    """An 880 is checked against the field it stands for, named in its $6."""
    name = field_name("880", field.occurrence)
    if not field.subfields or field.subfields[0][0] != DOLLAR6:
        has6 = any(code == DOLLAR6 for code, _ in field.subfields)
        findings.error(
            "880",
            field.occurrence,
            "$6",
            f"{name} must start with subfield $6 (linkage) naming the field it stands for"
            + ("." if not has6 else "; here $6 is not first."),
        )
        if not has6:
            return
    link = linkage(field)
    value = next(v for c, v in field.subfields if c == DOLLAR6)
    problem = linkage_problem(value)
    if problem or link is None:
        findings.error("880", field.occurrence, "$6", f"{name}: subfield $6 {problem}")
        return
    linked_tag = link[0]
    rule = rules.fields[linked_tag]
    if linked_tag == "880" or rule is None:
        findings.error(
            "880",
            field.occurrence,
            "$6",
            f"{name}: subfield $6 names field {linked_tag}, which cannot have an alternate"
            " graphic representation.",
        )
        return
    if rule.origin == "local":
        return
    check_field_content(field, rule, findings, linked_tag)
