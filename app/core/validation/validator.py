"""Validate one ISO 2709 record at a level: structure, basic or full.

The record is read once (leader, directory, fields); each data field is split into subfields
once; every check is a set or dict lookup against the compiled tables. Messages are written
only for what is wrong, so a clean record costs little more than reading it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from app.core.errors import UsageError
from app.core.validation.encoding import marc8_problem
from app.core.validation.messages import Severity, ValidationMessage, ValidationResult
from app.core.validation.structure import MAX_FIELD, ParsedRecord, RawField, parse_record
from app.core.validation.tables import (
    FieldRule,
    FixedLayout,
    FormatRules,
    IndicatorRule,
    PositionRule,
    format_rules,
    shown,
)

LEVELS = ("none", "structure", "basic", "full")
RECORD_TYPES = ("auto", "bib", "auth")
HOLDINGS_TYPES = "uvxy"

SUBFIELD = 0x1F
SUBFIELD_BYTES = b"\x1f"
DOLLAR6 = ord("6")
# Bytes that may not appear in field data: C0 controls other than the three delimiters.
_NOT_CONTROL = bytes(range(0x20, 0x100)) + b"\x1d\x1e\x1f"
_ORDINALS = {1: "first", 2: "second"}
# A subfield delimiter not followed by a graphic ASCII character (the subfield code).
_BAD_CODE = re.compile(rb"\x1f(?:[^\x21-\x7e]|$)")


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


class Findings:
    """Collects messages; the small helpers keep the checks readable."""

    __slots__ = ("messages",)

    def __init__(self, messages: list[ValidationMessage]) -> None:
        self.messages = messages

    def add(
        self, severity: Severity, tag: str, occurrence: int | None, where: str | None, text: str
    ) -> None:
        self.messages.append(ValidationMessage(tag, occurrence, where, severity, text))

    def error(self, tag: str, occurrence: int | None, where: str | None, text: str) -> None:
        self.add("error", tag, occurrence, where, text)

    def warning(self, tag: str, occurrence: int | None, where: str | None, text: str) -> None:
        self.add("warning", tag, occurrence, where, text)


def validate_record(raw: bytes, level: str, record_type: str = "auto") -> ValidationResult:
    """Check one record given as ISO 2709 bytes at ``level`` (one of LEVELS).

    ``record_type`` is "auto" (leader/06 ``z`` means authority, anything else
    bibliographic), "bib" or "auth". Holdings records (leader/06 u, v, x, y) are read for
    structure only and reported as not validated.
    """
    if level not in LEVELS:
        raise UsageError(f"Unknown validation level '{level}'; use one of {', '.join(LEVELS)}.")
    if record_type not in RECORD_TYPES:
        raise UsageError(
            f"Unknown record type '{record_type}'; use one of {', '.join(RECORD_TYPES)}."
        )
    leader06 = chr(raw[6]) if len(raw) > 6 else ""
    kind = record_type if record_type != "auto" else ("auth" if leader06 == "z" else "bib")
    messages: list[ValidationMessage] = []
    result = ValidationResult(kind, None, messages)
    if level == "none":
        parsed = parse_record(raw, [])
        if parsed is not None:
            result.control_number = _control_number(parsed.fields)
        return result

    findings = Findings(messages)
    parsed = parse_record(raw, messages)
    if parsed is None:
        return result
    result.control_number = _control_number(parsed.fields)
    rules = format_rules(kind)
    leader = parsed.leader

    if record_type == "auto" and leader06 in HOLDINGS_TYPES and leader06:
        findings.warning(
            "LDR",
            None,
            "position 06",
            f"Leader position 06 is '{leader06}': this is a holdings record. ExportDesk validates"
            " bibliographic and authority records only; its content was not checked.",
        )
        return result

    _check_type(leader, kind, record_type, rules, findings)
    _check_encoding(raw, parsed, findings)
    deep = level in ("basic", "full")
    fields = _check_fields(parsed, rules, findings, deep)
    _check_required(parsed, fields, kind, findings)
    if not deep:
        return result
    material = _material(leader, rules)
    _check_leader_codes(leader, rules, findings)
    _check_control_fields(parsed, rules, material, findings)
    if level == "full":
        _check_relationships(parsed, fields, rules, material, findings)
    return result


# --- helpers ----------------------------------------------------------------------------------


def _control_number(fields: list[RawField]) -> str | None:
    for field in fields:
        if field.tag == "001":
            text = field.data.decode("utf-8", "replace").strip()
            return text or None
    return None


def _nth(occurrence: int) -> str:
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(occurrence if occurrence < 20 else occurrence % 10)
    return f"{occurrence}{suffix or 'th'}"


def _field_name(tag: str, occurrence: int, of: str | None = None) -> str:
    """'Field 650' or 'Field 650 (2nd)', or 'Field 880 (for 245)'."""
    text = f"Field {tag}"
    if occurrence > 1:
        text += f" ({_nth(occurrence)})"
    if of:
        text += f" (for {of})"
    return text


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


# --- structure --------------------------------------------------------------------------------


def _check_type(
    leader: str, kind: str, requested: str, rules: FormatRules, findings: Findings
) -> None:
    leader06, leader07 = leader[6], leader[7]
    if kind == "auth":
        if leader06 != "z":
            findings.error(
                "LDR",
                None,
                "position 06",
                f"Leader position 06 (type of record) is '{shown(leader06)}'; an authority"
                " record must have z.",
            )
        return
    if leader06 == "z" and requested == "bib":
        findings.error(
            "LDR",
            None,
            "position 06",
            "Leader position 06 is z (authority data), but the record is being validated as"
            " bibliographic.",
        )
        return
    rule = rules.leader.get(6)
    if rule is not None:
        _position_finding(rule, leader06, "LDR", None, "Leader", findings, "")
    rule = rules.leader.get(7)
    if rule is not None:
        _position_finding(rule, leader07, "LDR", None, "Leader", findings, "")


def _check_encoding(raw: bytes, parsed: ParsedRecord, findings: Findings) -> None:
    scheme = parsed.leader[9]
    if scheme == "a":
        control = raw[24:].translate(None, _NOT_CONTROL)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if not control:
                return
        for field in parsed.fields:
            try:
                field.data.decode("utf-8")
            except UnicodeDecodeError as error:
                findings.error(
                    field.tag,
                    field.occurrence,
                    None,
                    f"{_field_name(field.tag, field.occurrence)} is not valid UTF-8 (byte"
                    f" {error.start} cannot be decoded), but leader position 09 says the"
                    " record is in UTF-8. Re-encode the record or correct the leader.",
                )
                continue
            bad = field.data.translate(None, _NOT_CONTROL)
            if bad:
                findings.error(
                    field.tag,
                    field.occurrence,
                    None,
                    f"{_field_name(field.tag, field.occurrence)} contains the control character"
                    f" hex {bad[0]:02X}, which MARC records may not hold.",
                )
    elif scheme == " ":
        for field in parsed.fields:
            problem = marc8_problem(field.data)
            if problem:
                findings.error(
                    field.tag,
                    field.occurrence,
                    None,
                    f"{_field_name(field.tag, field.occurrence)} cannot be read as MARC-8"
                    f" ({problem}), which leader position 09 (blank) declares.",
                )
    else:
        findings.error(
            "LDR",
            None,
            "position 09",
            f"Leader position 09 (character coding scheme) is '{shown(scheme)}'; it must be"
            " blank (MARC-8) or a (UTF-8). The record's text was not checked.",
        )


def _split_field(field: RawField, findings: Findings) -> DataField | None:
    """Indicators and subfields of a data field, or None (with an error) if malformed."""
    data = field.data
    if len(data) < 3 or data[2] != SUBFIELD:
        _report_bad_start(field, findings)
        return None
    if not (0x20 <= data[0] < 0x7F and 0x20 <= data[1] < 0x7F) or _BAD_CODE.search(data):
        _report_bad_parts(field, findings)
        return None
    return DataField(
        field.tag,
        field.occurrence,
        data[0],
        data[1],
        data[3:].split(SUBFIELD_BYTES),
        b"\x1f6" in data,
    )


def _report_bad_start(field: RawField, findings: Findings) -> None:
    data, tag, occurrence = field.data, field.tag, field.occurrence
    name = _field_name(tag, occurrence)
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
            f" '{_text(data[2:3])}'); it may have more than two indicators.",
        )


def _report_bad_parts(field: RawField, findings: Findings) -> None:
    data, tag, occurrence = field.data, field.tag, field.occurrence
    name = _field_name(tag, occurrence)
    for number in (1, 2):
        value = data[number - 1]
        if not 0x20 <= value < 0x7F:
            findings.error(
                tag,
                occurrence,
                f"ind{number}",
                f"{name}: the {_ORDINALS[number]} indicator is the byte hex {value:02X}, not a"
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


def _check_required(
    parsed: ParsedRecord, fields: list[DataField], kind: str, findings: Findings
) -> None:
    tags = {f.tag for f in parsed.fields}
    for tag in ("001", "008"):
        if tag not in tags:
            findings.error(tag, None, None, f"Field {tag} is required and missing.")
    if kind == "bib":
        titles = [f for f in fields if f.tag == "245"]
        if "245" not in tags:
            findings.error(
                "245", None, None, "Field 245 (title statement) is required and missing."
            )
        elif titles and not any(code in (0x61, 0x6B) for f in titles for code, _ in f.subfields):
            findings.error(
                "245",
                1,
                "$a",
                "Field 245 must have a subfield $a (title) or $k (form); it has neither.",
            )
    else:
        headings = [t for t in parsed.fields if t.tag.startswith("1")]
        if not headings:
            findings.error(
                "1XX", None, None, "An authority record needs one heading field (1XX); it has none."
            )
        elif len(headings) > 1:
            findings.error(
                headings[1].tag,
                headings[1].occurrence,
                None,
                "An authority record has exactly one heading field (1XX); this one has"
                f" {len(headings)}: {', '.join(h.tag for h in headings)}.",
            )


# --- basic: fields ----------------------------------------------------------------------------


def _check_fields(
    parsed: ParsedRecord, rules: FormatRules, findings: Findings, deep: bool
) -> list[DataField]:
    """Split every data field (structure) and, when ``deep``, check its tag, repeatability,
    indicators and subfields (basic). Returns the data fields that could be split."""
    fields: list[DataField] = []
    field_rules = rules.fields
    control_repeatable = rules.control_repeatable
    counts: dict[str, int] = {}
    for raw_field in parsed.fields:
        tag = raw_field.tag
        counts[tag] = raw_field.occurrence
        if tag[:2] == "00" and tag.isdigit():
            if deep and SUBFIELD in raw_field.data:
                findings.error(
                    tag,
                    raw_field.occurrence,
                    None,
                    f"{_field_name(tag, raw_field.occurrence)} is a control field and may not"
                    " contain subfield codes.",
                )
            continue
        split = _split_field(raw_field, findings)
        if split is None:
            continue
        fields.append(split)
        if not deep:
            continue
        if not tag.isdigit():
            findings.error(
                tag,
                raw_field.occurrence,
                None,
                f"Tag '{tag}' is not a MARC 21 tag: tags are three digits.",
            )
            continue
        rule = field_rules[tag]
        if rule is None:
            findings.error(
                tag,
                raw_field.occurrence,
                None,
                f"Field {tag} is not defined in the MARC 21 {_format_name(rules)} format, by OCLC,"
                " or as a local field (09X, 59X, 69X, 79X, 89X, 9XX).",
            )
            continue
        if rule.origin == "local":
            continue
        if tag == "880":
            _check_880_content(split, rules, findings)
            continue
        _check_field_content(split, rule, findings, None)

    if deep:
        for tag, count in counts.items():
            if count < 2:
                continue
            if tag[:2] == "00" and tag.isdigit():
                if not control_repeatable.get(tag, True):
                    findings.error(
                        tag, 2, None, f"Field {tag} is not repeatable, but occurs {count} times."
                    )
                continue
            rule = field_rules.get(tag)
            if rule is not None and rule.checked and not rule.repeatable:
                findings.add(
                    "warning" if rule.advisory else "error",
                    tag,
                    2,
                    None,
                    f"Field {tag} is not repeatable{_origin_note(rule)}, but occurs {count} times.",
                )
    return fields


def _format_name(rules: FormatRules) -> str:
    return "bibliographic" if rules.kind == "bib" else "authority"


def _origin_note(rule: FieldRule) -> str:
    if rule.origin == "oclc":
        return " (as OCLC defines it)"
    if rule.origin == "holdings":
        return " (per the MARC 21 holdings format)"
    return ""


def _check_field_content(
    field: DataField, rule: FieldRule, findings: Findings, linked_to: str | None
) -> None:
    if rule.obsolete and linked_to is None:
        findings.warning(
            field.tag,
            field.occurrence,
            None,
            f"{_field_name(field.tag, field.occurrence)} ({rule.name.lower()}) is obsolete in"
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
                f"{_field_name(field.tag, field.occurrence, linked_to)}: subfield ${chr(code)} is"
                " empty.",
            )
        elif code == DOLLAR6:
            problem = _linkage_problem(part[1:])
            if problem:
                findings.error(
                    field.tag,
                    field.occurrence,
                    "$6",
                    f"{_field_name(field.tag, field.occurrence, linked_to)}: subfield $6 {problem}",
                )


def _subfield_finding(
    field: DataField,
    rule: FieldRule,
    code: int,
    repeated: bool,
    findings: Findings,
    linked_to: str | None,
) -> None:
    assert rule.subfields is not None
    name = _field_name(field.tag, field.occurrence, linked_to)
    severity: Severity = "warning" if rule.advisory else "error"
    sub = rule.subfields.get(code)
    where = f"${chr(code)}"
    if sub is None:
        findings.add(
            severity,
            field.tag,
            field.occurrence,
            where,
            f"{name}: subfield {where} is not defined{_origin_note(rule)}. Defined subfields:"
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
    name = _field_name(tag, occurrence, linked_to)
    char = shown(chr(value))
    where = f"ind{number}"
    ordinal = _ORDINALS[number]
    if value in indicator.obsolete:
        findings.warning(
            tag,
            occurrence,
            where,
            f"{name}: {ordinal} indicator '{char}' is an obsolete value. Current values:"
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
            f"{name}: {ordinal} indicator '{char}' is not defined{reason}. Allowed:"
            f" {indicator.allowed}.",
        )
    else:
        findings.error(
            tag,
            occurrence,
            where,
            f"{name}: {ordinal} indicator '{char}' is not valid ({indicator.name.lower()})."
            f" Allowed: {indicator.allowed}.",
        )


def _linkage_problem(value: bytes) -> str | None:
    """Subfield $6 reads 'ttt-nn' with optional '/r' (script) and '/r' (orientation)."""
    text = _text(value)
    head = text.split("/", 1)[0]
    if len(head) < 6 or head[3] != "-" or not head[:3].isdigit() or not head[4:6].isdigit():
        return (
            f"'{text}' is not a linkage: it must be a tag, a hyphen and a two-digit occurrence"
            " number (880-01, 245-02), optionally followed by /script code."
        )
    return None


def _linkage(field: DataField) -> tuple[str, str] | None:
    for part in field.parts:
        if part[0] == DOLLAR6:
            text = _text(part[1:])
            if len(text) >= 6 and text[3] == "-":
                return text[:3], text[4:6]
            return None
    return None


def _check_880_content(field: DataField, rules: FormatRules, findings: Findings) -> None:
    """An 880 is checked against the field it stands for, named in its $6."""
    name = _field_name("880", field.occurrence)
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
    link = _linkage(field)
    value = next(v for c, v in field.subfields if c == DOLLAR6)
    problem = _linkage_problem(value)
    if problem or link is None:
        findings.error("880", field.occurrence, "$6", f"{name}: subfield $6 {problem}")
        return
    linked_tag = link[0]
    rule = rules.fields.get(linked_tag)
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
    _check_field_content(field, rule, findings, linked_tag)


# --- basic: leader and control fields ---------------------------------------------------------


def _position_finding(
    rule: PositionRule,
    value: str,
    tag: str,
    occurrence: int | None,
    label: str,
    findings: Findings,
    context: str,
    advisory: bool = False,
) -> None:
    found = rule.check(value)
    if found is None:
        return
    severity, problem = found
    if advisory:
        severity = "warning"
    what = "position" if rule.start == rule.end else "positions"
    findings.add(
        "error" if severity == "error" else "warning",
        tag,
        occurrence,
        f"position {rule.span}",
        f"{label} {what} {rule.span} ({rule.name.lower()}){context}: {problem}. Allowed:"
        f" {rule.allowed}.",
    )


def _check_leader_codes(leader: str, rules: FormatRules, findings: Findings) -> None:
    for start, rule in rules.leader.items():
        if start in (6, 7, 9) or start >= 20:
            continue  # 06/07/09 were checked with the structure, 20-23 likewise
        value = leader[rule.start : rule.end + 1]
        if start == 17 and value in rules.oclc_leader17:
            findings.warning(
                "LDR",
                None,
                "position 17",
                f"Leader position 17 (encoding level) is '{value}', an OCLC-defined value"
                f" ({rules.oclc_leader17[value]}), not a MARC 21 one; some local systems"
                " reject it. MARC 21 values: blank, 1-5, 7, 8, u, z.",
            )
            continue
        _position_finding(rule, value, "LDR", None, "Leader", findings, "")


def _material(leader: str, rules: FormatRules) -> str | None:
    if rules.kind != "bib":
        return None
    leader06, leader07 = leader[6], leader[7]
    for types, levels, key in rules.material_rules:
        if leader06 in types and (not levels or leader07 in levels):
            return key
    return rules.material_fallback.get(leader06)


def _check_positions(
    layout_positions: tuple[PositionRule, ...],
    text: str,
    tag: str,
    occurrence: int | None,
    offset: int,
    context: str,
    findings: Findings,
) -> None:
    label = f"{tag}" if occurrence is None or occurrence == 1 else f"{tag} ({_nth(occurrence)})"
    for rule in layout_positions:
        start, end = rule.start - offset, rule.end + 1 - offset
        if end > len(text):
            continue  # a field too short was reported once, as a whole
        _position_finding(rule, text[start:end], tag, occurrence, label, findings, context)


def _check_control_fields(
    parsed: ParsedRecord, rules: FormatRules, material: str | None, findings: Findings
) -> None:
    for field in parsed.fields:
        tag = field.tag
        if tag[:2] != "00":
            continue
        text = field.data.decode("latin-1")
        if tag == "008":
            _check_008(text, rules, material, field.occurrence, findings)
        elif tag == "006" and rules.kind == "bib":
            _check_006(text, rules, field.occurrence, findings)
        elif tag == "007" and rules.kind == "bib":
            _check_007(text, rules, field.occurrence, findings)
        elif tag == "005":
            if not (
                len(text) == 16 and text[:14].isdigit() and text[14] == "." and text[15].isdigit()
            ):
                findings.warning(
                    "005",
                    field.occurrence,
                    None,
                    f"Field 005 is '{text}'; it should be the date and time of the latest"
                    " change as yyyymmddhhmmss.f (16 characters).",
                )
        elif tag not in rules.control_repeatable and tag not in ("001", "003", "009"):
            findings.error(
                tag,
                field.occurrence,
                None,
                f"Field {tag} is not a control field MARC 21 defines for"
                f" {_format_name(rules)} records.",
            )
        elif tag == "009" and rules.kind == "bib":
            findings.warning("009", field.occurrence, None, "Field 009 is obsolete in MARC 21.")
        elif tag == "009":
            findings.error(
                "009", field.occurrence, None, "Field 009 is not defined for authority records."
            )


def _check_008(
    text: str, rules: FormatRules, material: str | None, occurrence: int, findings: Findings
) -> None:
    if len(text) != 40:
        findings.error(
            "008",
            occurrence,
            "length",
            f"Field 008 is {len(text)} characters long; it must be exactly 40.",
        )
    _check_positions(rules.f008_common, text, "008", None, 0, "", findings)
    if material is None:
        return
    layout = rules.f008_materials.get(material)
    if layout is not None:
        context = f" for {layout.name.lower()}"
        _check_positions(layout.positions, text, "008", None, 0, context, findings)


def _check_006(text: str, rules: FormatRules, occurrence: int, findings: Findings) -> None:
    if not text:
        findings.error("006", occurrence, None, "Field 006 is empty; it must be 18 characters.")
        return
    layout = rules.f006_forms.get(text[0])
    if layout is None:
        forms = " ".join(sorted(rules.f006_forms))
        findings.error(
            "006",
            occurrence,
            "position 00",
            f"Field 006 position 00 (form of material) is '{shown(text[0])}'; allowed: {forms}.",
        )
        return
    if len(text) != 18:
        findings.error(
            "006",
            occurrence,
            "length",
            f"Field 006 is {len(text)} characters long; it must be exactly 18.",
        )
    _check_positions(
        layout.positions, text, "006", occurrence, 0, f" for {layout.name.lower()}", findings
    )


def _check_007(text: str, rules: FormatRules, occurrence: int, findings: Findings) -> None:
    if not text:
        findings.error("007", occurrence, None, "Field 007 is empty.")
        return
    layout: FixedLayout | None = rules.f007_categories.get(text[0])
    if layout is None:
        categories = " ".join(sorted(rules.f007_categories))
        findings.error(
            "007",
            occurrence,
            "position 00",
            f"Field 007 position 00 (category of material) is '{shown(text[0])}'; allowed:"
            f" {categories}.",
        )
        return
    if len(text) > layout.length:
        findings.error(
            "007",
            occurrence,
            "length",
            f"Field 007 for {layout.name.lower()} is {len(text)} characters long; it has at most"
            f" {layout.length}.",
        )
    elif len(text) < 2:
        findings.error(
            "007",
            occurrence,
            "length",
            "Field 007 must have at least positions 00 and 01 (category and specific material"
            " designation).",
        )
    _check_positions(
        layout.positions, text, "007", occurrence, 0, f" for {layout.name.lower()}", findings
    )


# --- full: relationships ----------------------------------------------------------------------


def _check_relationships(
    parsed: ParsedRecord,
    fields: list[DataField],
    rules: FormatRules,
    material: str | None,
    findings: Findings,
) -> None:
    leader = parsed.leader
    if rules.kind == "bib":
        _check_material(leader, rules, material, findings)
        f008 = next((f for f in parsed.fields if f.tag == "008"), None)
        if f008 is not None and len(f008.data) == 40:
            _check_dates(leader, f008.data.decode("latin-1"), rules, findings)
        main_entries = [f for f in fields if f.tag[0] == "1"]
        if len(main_entries) > 1:
            findings.error(
                main_entries[1].tag,
                main_entries[1].occurrence,
                None,
                "A bibliographic record has at most one main entry (1XX); this one has"
                f" {len(main_entries)}: {', '.join(f.tag for f in main_entries)}.",
            )
        tags = {f.tag for f in fields}
        if "130" in tags and "240" in tags:
            findings.warning(
                "240",
                1,
                None,
                "Field 240 (uniform title) is not used when the main entry is a uniform title"
                " (130).",
            )
        for field in fields:
            if field.tag == "245":
                _check_nonfiling(field, leader, parsed, rules, findings)
    _check_linkage([f for f in fields if f.has_linkage], findings)
    field_rules = rules.fields
    for field in fields:
        rule = field_rules.get(field.tag)
        if rule is None or (not rule.has_relations and field.tag != "880"):
            continue
        linked = None
        if field.tag == "880":
            link = _linkage(field)
            if link is None:
                continue
            linked = link[0]
            rule = rules.fields.get(linked)
            if rule is None or rule.origin == "local":
                continue
        _check_required_subfields(field, rule, linked, findings)
        _check_code_values(field, rule, linked, findings)


def _check_material(
    leader: str, rules: FormatRules, material: str | None, findings: Findings
) -> None:
    leader06, leader07 = leader[6], leader[7]
    for types, levels, _key in rules.material_rules:
        if leader06 in types and (not levels or leader07 in levels):
            return
    if material is not None:
        findings.warning(
            "LDR",
            None,
            "position 07",
            f"Leader positions 06-07 ('{leader06}{leader07}') are not a combination MARC 21 gives"
            f" a 008 configuration for; 008/18-34 were checked as"
            f" {rules.material_names.get(material, material).lower()}.",
        )


def _check_dates(leader: str, f008: str, rules: FormatRules, findings: Findings) -> None:
    dates = rules.dates
    kind, date1, date2 = f008[6], f008[7:11], f008[11:15]
    continuing = leader[7] in "bis" and leader[6] == "a"
    cr_codes = dates["continuing_resource_codes"]
    if continuing and kind not in cr_codes and kind != "|":
        findings.warning(
            "008",
            None,
            "position 06",
            f"008 position 06 (type of date) is '{shown(kind)}', but leader position 07 says this"
            f" is a continuing resource, which uses {', '.join(cr_codes)}.",
        )
    elif not continuing and kind in cr_codes and leader[7] not in "bis":
        findings.warning(
            "008",
            None,
            "position 06",
            f"008 position 06 (type of date) is '{kind}', a code for continuing resources, but"
            f" leader position 07 ('{shown(leader[7])}') does not describe one.",
        )
    if kind in dates["date2_blank"] and date2.strip() and date2 != "||||":
        findings.warning(
            "008",
            None,
            "position 11-14",
            f"008 position 06 is '{kind}', so Date 2 (positions 11-14) should be blank; it is"
            f" '{date2}'.",
        )
    elif kind in dates["date2_present"] and not date2.strip():
        findings.warning(
            "008",
            None,
            "position 11-14",
            f"008 position 06 is '{kind}', which needs a second date in positions 11-14; they"
            " are blank.",
        )
    expected = dates["date2"].get(kind)
    if expected and date2 != expected and date2 != "||||":
        findings.warning(
            "008",
            None,
            "position 11-14",
            f"008 position 06 is '{kind}', so Date 2 (positions 11-14) should be {expected}; it"
            f" is '{date2}'.",
        )
    if kind in dates["both_unknown"] and (date1 != "uuuu" or date2 != "uuuu"):
        findings.warning(
            "008",
            None,
            "position 07-14",
            f"008 position 06 is '{kind}' (dates unknown), so both dates should be uuuu; they are"
            f" '{date1}' and '{date2}'.",
        )


def _check_nonfiling(
    field: DataField, leader: str, parsed: ParsedRecord, rules: FormatRules, findings: Findings
) -> None:
    """245 second indicator against the title's leading article. The article list is a guess
    by language, so every finding is a warning."""
    title = next((v for c, v in field.subfields if c == 0x61), None)
    if title is None:
        return
    if leader[9] == "a":
        text = unicodedata.normalize("NFD", _text(title))
    else:
        text = title.decode("latin-1")
    if not 0x30 <= field.ind2 <= 0x39:
        return
    count = field.ind2 - 0x30
    name = _field_name("245", field.occurrence)
    if count >= len(text):
        findings.warning(
            "245",
            field.occurrence,
            "ind2",
            f"{name}: the second indicator says the first {count} characters are not filed on,"
            f" but $a has only {len(text)}.",
        )
        return
    language = ""
    f008 = next((f for f in parsed.fields if f.tag == "008"), None)
    if f008 is not None and len(f008.data) >= 38:
        language = f008.data[35:38].decode("latin-1")
    articles = rules.articles.get(language)
    lead = 0
    while lead < len(text) and text[lead] in rules.article_punctuation:
        lead += 1
    expected = None
    if articles is not None:
        rest = text[lead:]
        lowered = rest.lower()
        for article in articles:
            if not lowered.startswith(article):
                continue
            if article.endswith("'"):
                length = len(article)
            elif lowered[len(article) : len(article) + 1] in (" ",):
                length = len(article) + 1
            else:
                continue
            if expected is None or lead + length > expected:
                expected = lead + length
    if count == 0 and expected is not None:
        findings.warning(
            "245",
            field.occurrence,
            "ind2",
            f"{name}: the title starts with '{text[:expected].strip()}', which looks like an"
            f" article in the record's language ({language}); the second indicator is 0 but"
            f" may need to be {expected}. (Check: not every such word is an article.)",
        )
    elif count > 0 and expected is not None and count != expected:
        findings.warning(
            "245",
            field.occurrence,
            "ind2",
            f"{name}: the second indicator is {count}, but the leading article"
            f" '{text[:expected].strip()}' suggests {expected} nonfiling characters.",
        )
    elif (
        count > 0
        and expected is None
        and text[count - 1] not in " '\u2019-"
        and not (count < len(text) and text[count] == " ")
    ):
        findings.warning(
            "245",
            field.occurrence,
            "ind2",
            f"{name}: the second indicator skips {count} characters ('{text[:count]}'), which"
            " do not end at a word; check the number of nonfiling characters.",
        )


def _check_linkage(linked: list[DataField], findings: Findings) -> None:
    """Every $6 880-nn has an 880 pointing back, and every linked 880 has its field.
    ``linked`` holds the fields that have a subfield $6."""
    alternates: dict[tuple[str, str], DataField] = {}  # (tag it stands for, nn) -> 880
    regular: dict[tuple[str, str], DataField] = {}  # (tag, nn) -> field with $6 880-nn
    numbers: set[str] = set()
    for field in linked:
        link = _linkage(field)
        if link is None:
            continue  # a malformed $6 was reported with the field's content
        tag, number = link
        name = _field_name(field.tag, field.occurrence)
        if field.tag == "880":
            if number == "00":
                continue
            if (tag, number) in alternates:
                findings.error(
                    "880",
                    field.occurrence,
                    "$6",
                    f"{name}: linkage {tag}-{number} is used by another 880 too; each linked 880"
                    " needs its own occurrence number.",
                )
            alternates[(tag, number)] = field
        elif tag != "880":
            findings.error(
                field.tag,
                field.occurrence,
                "$6",
                f"{name}: subfield $6 must link to an 880 field (880-{number}), not to {tag}.",
            )
        else:
            if number in numbers:
                findings.error(
                    field.tag,
                    field.occurrence,
                    "$6",
                    f"{name}: linkage 880-{number} is already used by another field; occurrence"
                    " numbers must be unique in a record.",
                )
            numbers.add(number)
            regular[(field.tag, number)] = field
    for (tag, number), field in regular.items():
        if (tag, number) not in alternates:
            findings.error(
                tag,
                field.occurrence,
                "$6",
                f"{_field_name(tag, field.occurrence)} links to 880-{number}, but no 880 field has"
                f" $6 {tag}-{number}.",
            )
    for (tag, number), field in alternates.items():
        if (tag, number) not in regular:
            findings.error(
                "880",
                field.occurrence,
                "$6",
                f"{_field_name('880', field.occurrence)} links to field {tag} with occurrence"
                f" {number}, but no {tag} field has $6 880-{number}. (An 880 without a partner"
                " field uses occurrence 00.)",
            )


def _check_required_subfields(
    field: DataField, rule: FieldRule, linked: str | None, findings: Findings
) -> None:
    """An indicator value 'specified in subfield $2' needs that subfield."""
    for number, value, indicator in (
        (1, field.ind1, rule.indicators[0]),
        (2, field.ind2, rule.indicators[1]),
    ):
        if indicator is None or not indicator.requires:
            continue
        needed = indicator.requires.get(value)
        if needed is None:
            continue
        if not any(code == ord(needed) for code, _ in field.subfields):
            findings.add(
                "warning" if rule.advisory else "error",
                field.tag,
                field.occurrence,
                f"${needed}",
                f"{_field_name(field.tag, field.occurrence, linked)}: the {_ORDINALS[number]}"
                f" indicator '{shown(chr(value))}' says the source is given in subfield"
                f" ${needed}, but there is no ${needed}.",
            )


def _check_code_values(
    field: DataField, rule: FieldRule, linked: str | None, findings: Findings
) -> None:
    """Subfields whose values come from a list in the format (042 $a, 048 $a/$b): the lists
    in the field list may lag behind LoC's code lists, so these are warnings."""
    if not rule.code_values and rule.code_list is None:
        return
    name = _field_name(field.tag, field.occurrence, linked)
    for code, value in field.subfields:
        known = rule.code_values.get(code)
        text = _text(value).strip()
        if known is not None and text and text not in known:
            findings.warning(
                field.tag,
                field.occurrence,
                f"${chr(code)}",
                f"{name}: ${chr(code)} '{text}' is not a code in the format's list"
                f" ({', '.join(sorted(known))}).",
            )
        if rule.code_list is not None and code in (0x61, 0x62) and text[:2] not in rule.code_list:
            findings.warning(
                field.tag,
                field.occurrence,
                f"${chr(code)}",
                f"{name}: ${chr(code)} '{text}' does not start with a two-letter code from the"
                " format's list of instrument and voice codes.",
            )


__all__ = ["LEVELS", "MAX_FIELD", "RECORD_TYPES", "validate_record"]
