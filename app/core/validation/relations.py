"""Level full: relationships between elements of a record."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from dataclasses import field as member

from app.core.validation.fields import DataField, linkage
from app.core.validation.findings import ORDINALS, Findings, as_text, field_name
from app.core.validation.structure import ParsedRecord, RawField
from app.core.validation.tables import FieldRule, FormatRules, quoted


@dataclass(slots=True)
class Scan:
    """What the pass over the fields keeps for the checks that look at several fields."""

    counts: dict[str, int] = member(default_factory=dict)
    titles: list[DataField] = member(default_factory=list)  # 245
    main_entries: list[DataField] = member(default_factory=list)  # 1XX data fields
    headings: list[RawField] = member(default_factory=list)  # every 1XX, even malformed
    linked: list[DataField] = member(default_factory=list)  # fields with a $6
    # Fields whose definition relates elements ("7 - source in $2", code lists), with the
    # rule that applies (for an 880, its partner's) and the partner's tag.
    related: list[tuple[DataField, FieldRule, str | None]] = member(default_factory=list)


def check_relationships(
    parsed: ParsedRecord,
    scan: Scan,
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
        main_entries = scan.main_entries
        if len(main_entries) > 1:
            findings.error(
                main_entries[1].tag,
                main_entries[1].occurrence,
                None,
                "A bibliographic record has at most one main entry (1XX); this one has"
                f" {len(main_entries)}: {', '.join(f.tag for f in main_entries)}.",
            )
        if "130" in scan.counts and "240" in scan.counts:
            findings.warning(
                "240",
                1,
                None,
                "Field 240 (uniform title) is not used when the main entry is a uniform title"
                " (130).",
            )
        for title in scan.titles:
            _check_nonfiling(title, leader, parsed, rules, findings)
    _check_linkage(scan.linked, findings)
    for field, rule, linked in scan.related:
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
            f"008 position 06 (type of date) is {quoted(kind)}, but leader position 07 says this"
            f" is a continuing resource, which uses {', '.join(cr_codes)}.",
        )
    elif not continuing and kind in cr_codes and leader[7] not in "bis":
        findings.warning(
            "008",
            None,
            "position 06",
            f"008 position 06 (type of date) is '{kind}', a code for continuing resources, but"
            f" leader position 07 ({quoted(leader[7])}) does not describe one.",
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
        text = unicodedata.normalize("NFD", as_text(title))
    else:
        text = title.decode("latin-1")
    if not 0x30 <= field.ind2 <= 0x39:
        return
    count = field.ind2 - 0x30
    name = field_name("245", field.occurrence)
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
            f"{name}: the second indicator gives {count} nonfiling character"
            f"{'s' if count > 1 else ''}, but '{text[:count]}' does not end at a word; check the"
            " number of nonfiling characters.",
        )


def _check_linkage(linked: list[DataField], findings: Findings) -> None:
    """Every $6 880-nn has an 880 pointing back, and every linked 880 has its field.
    ``linked`` holds the fields that have a subfield $6."""
    alternates: dict[tuple[str, str], DataField] = {}  # (tag it stands for, nn) -> 880
    regular: dict[tuple[str, str], DataField] = {}  # (tag, nn) -> field with $6 880-nn
    numbers: set[str] = set()
    for field in linked:
        link = linkage(field)
        if link is None:
            continue  # a malformed $6 was reported with the field's content
        tag, number = link
        name = field_name(field.tag, field.occurrence)
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
                f"{field_name(tag, field.occurrence)} links to 880-{number}, but no 880 field has"
                f" $6 {tag}-{number}.",
            )
    for (tag, number), field in alternates.items():
        if (tag, number) not in regular:
            findings.error(
                "880",
                field.occurrence,
                "$6",
                f"{field_name('880', field.occurrence)} links to field {tag} with occurrence"
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
                f"{field_name(field.tag, field.occurrence, linked)}: the {ORDINALS[number]}"
                f" indicator {quoted(chr(value))} says the source is given in subfield"
                f" ${needed}, but there is no ${needed}.",
            )


def _check_code_values(
    field: DataField, rule: FieldRule, linked: str | None, findings: Findings
) -> None:
    """Subfields whose values come from a list in the format (042 $a, 048 $a/$b): the lists
    in the field list may lag behind LoC's code lists, so these are warnings."""
    if not rule.code_values and rule.code_list is None:
        return
    name = field_name(field.tag, field.occurrence, linked)
    for code, value in field.subfields:
        known = rule.code_values.get(code)
        text = as_text(value).strip()
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
