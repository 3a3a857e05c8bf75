"""Validate one ISO 2709 record at a level: structure, basic or full.

The record is read once (leader, directory, fields) and its fields are checked in one pass. A
clean field costs a few C-level operations (set lookups, one regular expression already
compiled); only a field with a problem is split into subfields and looked at closely, and
only then are messages composed. What the checks across fields need (titles, main entries,
linked fields) is kept from that pass.
"""

from __future__ import annotations

import re
from operator import itemgetter

from app.core.digits import ascii_digits
from app.core.errors import UsageError
from app.core.marc.iso2709 import build_record
from app.core.marc.record import CONTROL_TAGS
from app.core.marc.record import ParsedRecord as ReadRecord
from app.core.validation.encoding import check_encoding
from app.core.validation.fields import (
    BAD_CODE,
    SUBFIELD,
    DataField,
    check_880_content,
    check_field_content,
    field_is_clean,
    format_name,
    linkage,
    origin_note,
    split_field,
)
from app.core.validation.findings import Findings, field_name
from app.core.validation.fixed import (
    check_control_fields,
    check_leader_codes,
    material_of,
    position_finding,
)
from app.core.validation.messages import ValidationMessage, ValidationResult
from app.core.validation.relations import Scan, check_relationships
from app.core.validation.structure import (
    ParsedRecord,
    RawField,
    counted_fields,
    parse_read_record,
    parse_record,
)
from app.core.validation.tables import FieldRule, FieldRules, FormatRules, format_rules, quoted

LEVELS = ("none", "structure", "basic", "full")
RECORD_TYPES = ("auto", "bib", "auth")
HOLDINGS_TYPES = "uvxy"
LINKAGE = b"\x1f6"
MAX_MESSAGES = 200  # per record; beyond that one message says how many more there are
# A delimiter followed by something other than a graphic code, or by a code and then a
# delimiter or a field terminator (an empty subfield): BAD_CODE or EMPTY over a record.
_CODE_PROBLEM = re.compile(rb"\x1f(?:[^\x21-\x7e]|.[\x1e\x1f])", re.DOTALL)
# Tags the directory's reader takes as they are: three letters or digits each.
_PLAIN_TAGS = re.compile("[0-9A-Za-z]*")
_TAG = itemgetter(0)
_DATA = itemgetter(1)


def validate_record(
    raw: bytes, level: str, record_type: str = "auto", parsed: ReadRecord | None = None
) -> ValidationResult:
    """Check one record given as ISO 2709 bytes at ``level`` (one of LEVELS).

    ``record_type`` is "auto" (leader/06 ``z`` means authority, anything else
    bibliographic), "bib" or "auth". Holdings records (leader/06 u, v, x, y) are read for
    structure only and reported as not validated. ``parsed`` is the reader's parse of
    ``raw`` (app.core.marc.parse_record), when the caller has one: a well-formed record is
    then not read a second time. The result is the same with it or without.
    """
    _check_choices(level, record_type)
    messages: list[ValidationMessage] = []
    record = _read(raw, parsed, messages if level != "none" else [])
    leader06 = chr(raw[6]) if len(raw) > 6 else ""
    start = int(record.leader[12:17]) if record is not None and record.sound else 0
    return _validate(record, raw, start, leader06, level, record_type, messages)


def validate_built(record: ReadRecord, level: str, record_type: str = "auto") -> ValidationResult:
    """:func:`validate_record` of the bytes ``record`` stands for (a copy described by
    iso2709.as_built: build_record of its leader and fields), without writing them: the
    same result. An export to XML validates its copy so; only a MARC export needs the bytes.
    """
    _check_choices(level, record_type)
    fields = record.fields
    if not record.well_formed or not _PLAIN_TAGS.fullmatch("".join(map(_TAG, fields))):
        # What the reader would make of the bytes is less plain: read them.
        return validate_record(build_record(record.leader, fields), level, record_type, record)
    # What the checks over the record's bytes look at: the fields, each with its terminator.
    data = b"\x1e".join(map(_DATA, fields)) + b"\x1e\x1d"
    parsed = ParsedRecord(record.leader, counted_fields(fields), True)
    return _validate(parsed, data, 0, record.leader[6:7], level, record_type, [])


def _check_choices(level: str, record_type: str) -> None:
    if level not in LEVELS:
        raise UsageError(f"Unknown validation level '{level}'; use one of {', '.join(LEVELS)}.")
    if record_type not in RECORD_TYPES:
        raise UsageError(
            f"Unknown record type '{record_type}'; use one of {', '.join(RECORD_TYPES)}."
        )


def _validate(
    record: ParsedRecord | None,
    data: bytes,
    start: int,
    leader06: str,
    level: str,
    record_type: str,
    messages: list[ValidationMessage],
) -> ValidationResult:
    """The checks of a record read (``messages`` holds what reading it found). ``data``
    holds its fields, each followed by its terminator, from ``start`` on: the whole
    record's bytes, or only its fields'."""
    kind = record_type if record_type != "auto" else ("auth" if leader06 == "z" else "bib")
    result = ValidationResult(kind, None, messages)
    if level == "none":
        if record is not None:
            result.control_number = _control_number(record.fields)
        return result

    findings = Findings(messages)
    if record is None:
        return result
    result.control_number = _control_number(record.fields)
    rules = format_rules(kind)
    leader = record.leader

    if record_type == "auto" and leader06 and leader06 in HOLDINGS_TYPES:
        findings.warning(
            "LDR",
            None,
            "position 06",
            f"Leader position 06 is '{leader06}': this is a holdings record. ExportDesk validates"
            " bibliographic and authority records only; its content was not checked.",
        )
        return result

    _check_type(leader, kind, record_type, rules, findings)
    if not record.sound:
        # Fields located through a damaged directory are fragments: checking them would
        # bury the one real problem under noise.
        findings.warning(
            "DIR",
            None,
            None,
            "The fields of this record were not checked one by one, because its leader or"
            " directory is damaged (see above). Repair the record and validate it again.",
        )
        return result
    check_encoding(data, record, findings)
    deep = level in ("basic", "full")
    scan = _check_fields(record, rules, findings, deep, _codes_plain(data, start))
    _check_required(scan, kind, findings)
    if not deep:
        return result
    material = material_of(leader, rules)
    check_leader_codes(leader, rules, findings)
    check_control_fields(record, rules, material, findings)
    if level == "full":
        check_relationships(record, scan, rules, material, findings)
    if len(messages) > MAX_MESSAGES:
        _summarize(messages)
    return result


def _read(
    raw: bytes, parsed: ReadRecord | None, messages: list[ValidationMessage]
) -> ParsedRecord | None:
    """The record's leader and fields for the checks, from the reader's parse if given."""
    if parsed is None:
        return parse_record(raw, messages)
    return parse_read_record(raw, parsed, messages)


def _summarize(messages: list[ValidationMessage]) -> None:
    """Keep a report readable: the first problems, then how many more there are."""
    rest = messages[MAX_MESSAGES - 1 :]
    errors = sum(1 for m in rest if m.severity == "error")
    del messages[MAX_MESSAGES - 1 :]
    messages.append(
        ValidationMessage(
            "LDR",
            None,
            None,
            "error" if errors else "warning",
            f"... and {len(rest):,} more problems in this record ({errors:,} errors), not"
            " listed one by one.",
        )
    )


def _control_number(fields: list[RawField]) -> str | None:
    for raw_field in fields:
        if raw_field.tag == "001":
            text = raw_field.data.decode("utf-8", "replace").strip()
            return text or None
    return None


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
                f"Leader position 06 (type of record) is {quoted(leader06)}; an authority"
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
    for position, value in ((6, leader06), (7, leader07)):
        rule = rules.leader.get(position)
        if rule is not None:
            position_finding(rule, value, "LDR", None, "Leader", findings, "")


def _check_required(scan: Scan, kind: str, findings: Findings) -> None:
    counts = scan.counts
    for tag in ("001", "008"):
        if tag not in counts:
            findings.error(tag, None, None, f"Field {tag} is required and missing.")
    if kind == "bib":
        if "245" not in counts:
            findings.error(
                "245", None, None, "Field 245 (title statement) is required and missing."
            )
        elif scan.titles and not any(
            part[0] in (0x61, 0x6B) for title in scan.titles for part in title.parts
        ):
            findings.error(
                "245",
                1,
                "$a",
                "Field 245 must have a subfield $a (title) or $k (form); it has neither.",
            )
        return
    headings = scan.headings
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


# --- the pass over the fields -----------------------------------------------------------------


def _codes_plain(data: bytes, start: int) -> bool:
    """Whether no delimiter in the (sound) record's fields (``data`` from ``start``) is
    followed by anything but a graphic ASCII code and then some text: one search over the
    record, after which no field needs looking at for a bad code or an empty subfield. Each
    field's data is followed by its terminator in ``data``, so one at the end of a field
    shows too."""
    return _CODE_PROBLEM.search(data, start) is None


def _check_fields(
    parsed: ParsedRecord, rules: FormatRules, findings: Findings, deep: bool, plain: bool
) -> Scan:
    """Every data field's structure (level structure) and, when ``deep``, its tag,
    indicators, subfields and repeatability (level basic). ``plain``: no field has a bad
    subfield code or an empty subfield (_codes_plain)."""
    scan = Scan()
    counts = scan.counts
    field_rules = rules.fields
    for raw_field in parsed.fields:
        tag = raw_field.tag
        counts[tag] = raw_field.occurrence
        data = raw_field.data
        if tag in CONTROL_TAGS:
            if deep and SUBFIELD in data:
                findings.error(
                    tag,
                    raw_field.occurrence,
                    None,
                    f"{field_name(tag, raw_field.occurrence)} is a control field and may not"
                    " contain subfield codes.",
                )
            continue
        if tag[0] == "1":
            scan.headings.append(raw_field)
        if (
            len(data) < 3
            or data[2] != SUBFIELD
            or not 0x20 <= data[0] < 0x7F
            or not 0x20 <= data[1] < 0x7F
            or (not plain and BAD_CODE.search(data))
        ):
            split_field(raw_field, findings)  # reports what is wrong
            continue
        keep = tag == "245" or tag[0] == "1" or LINKAGE in data
        related = False
        rule = field_rules[tag] if deep else None
        if deep:
            if rule is None:
                _unknown_tag(raw_field, rules, findings)
                continue
            if rule.origin == "local":
                if keep:  # a local field may still be linked to an 880
                    _keep(scan, _split_checked(raw_field), field_rules, None)
                continue
            if tag == "880":
                split = _split_checked(raw_field)
                check_880_content(split, rules, findings)
                _keep(scan, split, rules.fields, None)
                continue
            related = rule.has_relations and rule.relates(data[0], data[1])
            if not field_is_clean(data, rule, plain):
                split = _split_checked(raw_field)
                check_field_content(split, rule, findings, None)
                if keep or related:
                    _keep(scan, split, field_rules, rule if related else None)
                continue
            keep = keep or related
        if keep:
            split = _split_checked(raw_field)
            _keep(scan, split, field_rules, rule if rule is not None and related else None)
    if deep:
        _check_repeatability(counts, rules, findings)
    return scan


def _split_checked(raw_field: RawField) -> DataField:
    """Split a field whose structure was checked in this pass (so splitting cannot fail)."""
    split = split_field(raw_field, Findings([]))
    if split is None:
        raise AssertionError(f"field {raw_field.tag} passed the structure check but not the split")
    return split


def _keep(
    scan: Scan,
    split: DataField,
    field_rules: FieldRules,
    rule: FieldRule | None,
) -> None:
    tag = split.tag
    if tag == "245":
        scan.titles.append(split)
    elif tag[0] == "1":
        scan.main_entries.append(split)
    if split.has_linkage:
        scan.linked.append(split)
    if tag == "880":
        link = linkage(split)
        partner = field_rules[link[0]] if link is not None else None
        if link is not None and partner is not None and partner.has_relations:
            scan.related.append((split, partner, link[0]))
    elif rule is not None:
        scan.related.append((split, rule, None))


def _unknown_tag(raw_field: RawField, rules: FormatRules, findings: Findings) -> None:
    tag = raw_field.tag
    if not ascii_digits(tag):
        text = f"Tag '{tag}' is not a MARC 21 tag: tags are three digits."
    else:
        text = (
            f"Field {tag} is not defined in the MARC 21 {format_name(rules)} format, by OCLC,"
            " or as a local field (09X, 59X, 69X, 79X, 89X, 9XX)."
        )
    findings.error(tag, raw_field.occurrence, None, text)


def _check_repeatability(counts: dict[str, int], rules: FormatRules, findings: Findings) -> None:
    for tag, count in counts.items():
        if count < 2:
            continue
        if tag in CONTROL_TAGS:
            if not rules.control_repeatable.get(tag, True):
                findings.error(
                    tag, 2, None, f"Field {tag} is not repeatable, but occurs {count} times."
                )
            continue
        rule = rules.fields[tag]
        if rule is not None and rule.checked and not rule.repeatable:
            findings.add(
                "warning" if rule.advisory else "error",
                tag,
                2,
                None,
                f"Field {tag} is not repeatable{origin_note(rule)}, but occurs {count} times.",
            )
