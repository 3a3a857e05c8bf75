"""Checks of the leader and the control fields (005, 006, 007, 008) position by position."""

from __future__ import annotations

from app.core.digits import ascii_digits
from app.core.validation.fields import format_name
from app.core.validation.findings import Findings, nth
from app.core.validation.structure import ParsedRecord
from app.core.validation.tables import FixedLayout, FormatRules, PositionRule, quoted


def position_finding(
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


def check_leader_codes(leader: str, rules: FormatRules, findings: Findings) -> None:
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
        position_finding(rule, value, "LDR", None, "Leader", findings, "")


def material_of(leader: str, rules: FormatRules) -> str | None:
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
    context: str,
    findings: Findings,
) -> None:
    size = len(text)
    for rule in layout_positions:
        end = rule.end + 1
        if end > size:
            continue  # a field too short was reported once, as a whole
        value = text[rule.start : end]
        # The usual case without a call: every character a code, or the whole value one.
        if rule.each:
            if not value.strip(rule.chars):
                continue
        elif value in rule.valid:
            continue
        label = tag if occurrence is None or occurrence == 1 else f"{tag} ({nth(occurrence)})"
        position_finding(rule, value, tag, occurrence, label, findings, context)


def check_control_fields(
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
            if not (len(text) == 16 and text[14] == "." and ascii_digits(text[:14] + text[15])):
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
                f" {format_name(rules)} records.",
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
    _check_positions(rules.f008_common, text, "008", None, "", findings)
    if material is None:
        return
    layout = rules.f008_materials.get(material)
    if layout is not None:
        context = f" for {layout.name.lower()}"
        _check_positions(layout.positions, text, "008", None, context, findings)


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
            f"Field 006 position 00 (form of material) is {quoted(text[0])}; allowed: {forms}.",
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
        layout.positions, text, "006", occurrence, f" for {layout.name.lower()}", findings
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
            f"Field 007 position 00 (category of material) is {quoted(text[0])}; allowed:"
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
        layout.positions, text, "007", occurrence, f" for {layout.name.lower()}", findings
    )
