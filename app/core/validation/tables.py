"""The MARC 21 rule tables, loaded once from resources/marc21 and compiled for fast lookups.

The JSON tables keep every definition LoC lists (current and obsolete, with labels); here they
become small frozen objects holding sets of allowed values, so that checking a record costs a
few set lookups per element. Messages are composed only when something is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from app.core.digits import ascii_digits
from app.core.errors import ExportDeskError
from app.core.resources import resource_path

FORMAT_FILES = {"bib": "bibliographic.json", "auth": "authority.json"}
LOCAL_PATTERNS = ("09X", "59X", "69X", "79X", "89X", "9XX")


class RuleTableError(ExportDeskError):
    """A rule table under resources/marc21 is missing or damaged (an installation problem)."""


def shown(value: str) -> str:
    """A code as a cataloger reads it: blanks as 'blank', the fill character named."""
    if value.strip() == "":
        return "blank" if len(value) <= 1 else "blanks"
    if set(value) == {"|"}:
        return f"{value} (fill)"
    return value


def quoted(value: str) -> str:
    """A value as it appears in a sentence: 'x' quoted, blanks and the fill character named,
    other invisible characters as hexadecimal."""
    if value.strip() == "":
        return "blank" if len(value) <= 1 else "blanks"
    if set(value) == {"|"}:
        return "the fill character |" if len(value) == 1 else f"fill characters {value}"
    visible = "".join(c if c.isprintable() else f"\\x{ord(c):02X}" for c in value)
    return f"'{visible}'"


def describe_codes(labels: dict[str, str], limit: int = 10) -> str:
    """'0 (Forename), 1 (Surname), 3 (Family name)', or just the codes when there are many."""
    if not labels:
        return "nothing"
    items = list(labels.items())
    # Collapse runs of digits that share one label ("0-9 (Number of nonfiling characters)").
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(items):
        code, label = items[i]
        j = i
        while (
            j + 1 < len(items)
            and len(code) == 1
            and code.isdigit()
            and len(items[j + 1][0]) == 1
            and items[j + 1][0].isdigit()
            and ord(items[j + 1][0]) == ord(items[j][0]) + 1
            and items[j + 1][1] == label
        ):
            j += 1
        parts.append((shown(code) if i == j else f"{code}-{items[j][0]}", label))
        i = j + 1
    if len(parts) > limit:
        return ", ".join(name for name, _ in parts)
    return ", ".join(f"{name} ({label})" for name, label in parts)


# --- compiled rules ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorRule:
    name: str
    valid: frozenset[int]
    obsolete: frozenset[int]
    checked: bool  # False: "same as associated field", or no values known
    vague_obsolete: bool  # an obsolete definition lists no values
    allowed: str
    requires: dict[int, str]  # indicator value -> subfield code it requires ("7 - ... in $2")


@dataclass(frozen=True, slots=True)
class SubfieldRule:
    label: str
    repeatable: bool
    obsolete: bool


@dataclass(frozen=True, slots=True)
class FieldRule:
    tag: str
    name: str
    origin: str  # "marc21", "oclc", "holdings" or "local"
    repeatable: bool
    obsolete: bool
    advisory: bool  # findings about content are warnings (hand-made or scraped table)
    indicators: tuple[IndicatorRule | None, IndicatorRule | None]
    subfields: dict[int, SubfieldRule] | None  # None: subfields not checked
    same_as_associated: bool = False
    code_values: dict[int, frozenset[str]] = field(default_factory=dict)
    code_list: frozenset[str] | None = None  # 048: two-letter codes at the start of $a/$b
    # Derived for speed (set in __post_init__).
    valid_codes: frozenset[int] = frozenset()
    nonrepeatable: frozenset[int] = frozenset()
    valid_code_bytes: frozenset[bytes] = frozenset()
    nonrepeatable_bytes: frozenset[bytes] = frozenset()
    has_relations: bool = False

    def __post_init__(self) -> None:
        subfields = self.subfields or {}
        object.__setattr__(
            self, "valid_codes", frozenset(c for c, s in subfields.items() if not s.obsolete)
        )
        object.__setattr__(
            self, "nonrepeatable", frozenset(c for c, s in subfields.items() if not s.repeatable)
        )
        object.__setattr__(
            self, "valid_code_bytes", frozenset(bytes([c]) for c in self.valid_codes)
        )
        object.__setattr__(
            self, "nonrepeatable_bytes", frozenset(bytes([c]) for c in self.nonrepeatable)
        )
        requires = any(i is not None and i.requires for i in self.indicators)
        object.__setattr__(
            self, "has_relations", bool(requires or self.code_values or self.code_list)
        )

    @property
    def checked(self) -> bool:
        return self.origin != "local"

    def relates(self, ind1: int, ind2: int) -> bool:
        """Whether level full has something to check in a field with these indicators: an
        indicator value that names a source subfield, or values from a code list."""
        if self.code_values or self.code_list is not None:
            return True
        first, second = self.indicators
        return (first is not None and ind1 in first.requires) or (
            second is not None and ind2 in second.requires
        )


@dataclass(frozen=True, slots=True)
class PositionRule:
    """One coded element of the leader or of a fixed field (006/007/008)."""

    start: int
    end: int
    name: str
    each: bool  # every character is a code of its own
    valid: frozenset[str]
    ranges: tuple[tuple[str, str], ...]
    obsolete_whole: frozenset[str]
    obsolete_each: dict[int, frozenset[str]]  # absolute position -> obsolete one-char codes
    vague: frozenset[int]  # positions covered by an obsolete definition without codes
    undefined: bool
    allowed: str
    chars: str = ""  # the valid one-character codes, for str.strip in the common case

    def __post_init__(self) -> None:
        object.__setattr__(self, "chars", "".join(v for v in self.valid if len(v) == 1))

    @property
    def span(self) -> str:
        return f"{self.start:02d}" if self.start == self.end else f"{self.start:02d}-{self.end:02d}"

    def check(self, value: str) -> tuple[str, str] | None:
        """None when ``value`` is right; else (severity, what is wrong) without the position."""
        if self.each:
            worst: tuple[str, str] | None = None
            for offset, char in enumerate(value):
                if char in self.valid:
                    continue
                position = self.start + offset
                if char in self.obsolete_each.get(position, ()):
                    found: tuple[str, str] = ("warning", f"{quoted(char)} is an obsolete code")
                elif position in self.vague:
                    found = (
                        "warning",
                        f"{quoted(char)} is not a current code (it may come from an obsolete"
                        " definition of this position)",
                    )
                else:
                    found = ("error", f"{quoted(char)} is not a defined code")
                if worst is None or (found[0] == "error" and worst[0] == "warning"):
                    worst = found
            return worst
        if value in self.valid:
            return None
        for low, high in self.ranges:
            if len(value) == len(low) and value.isdigit() and low <= value <= high:
                return None
        if value in self.obsolete_whole:
            return ("warning", f"{quoted(value)} is an obsolete code")
        if any(p in self.vague for p in range(self.start, self.end + 1)):
            return (
                "warning",
                f"{quoted(value)} is not a current code (it may come from an obsolete"
                " definition of this position)",
            )
        return ("error", f"{quoted(value)} is not a defined code")


@dataclass(frozen=True, slots=True)
class FixedLayout:
    """The coded positions of one 006/007/008 configuration."""

    key: str
    name: str
    length: int
    positions: tuple[PositionRule, ...]


@dataclass(frozen=True, slots=True)
class FormatRules:
    """Everything the validator needs for one format (bibliographic or authority)."""

    kind: str  # "bib" or "auth"
    source_date: str
    leader: dict[int, PositionRule]  # by start position
    record_types: frozenset[str]
    fields: FieldRules  # by tag: rules[tag], None for a tag no table defines
    control_repeatable: dict[str, bool]
    f008_common: tuple[PositionRule, ...]
    f008_materials: dict[str, FixedLayout]
    f006_forms: dict[str, FixedLayout]  # by 006/00 form of material code
    f007_categories: dict[str, FixedLayout]  # by 007/00 category code
    oclc_leader17: dict[str, str]
    material_rules: tuple[tuple[str, str, str], ...]  # (leader/06 codes, leader/07 codes, key)
    material_fallback: dict[str, str]
    material_names: dict[str, str]
    dates: dict[str, Any]
    articles: dict[str, frozenset[str]]
    article_punctuation: str


# --- compiling --------------------------------------------------------------------------------


def _compile_indicator(definitions: list[dict[str, Any]]) -> IndicatorRule | None:
    if not definitions:
        return None
    current = [d for d in definitions if not d.get("obsolete")]
    if any(d.get("same_as_associated") for d in current):
        return IndicatorRule(
            "Same as associated field", frozenset(), frozenset(), False, False, "", {}
        )
    valid: dict[str, str] = {}
    obsolete: set[str] = set()
    requires: dict[int, str] = {}
    for definition in current:
        for value, entry in definition["values"].items():
            if entry.get("obsolete"):
                obsolete.add(value)
            else:
                valid[value] = entry["label"]
                label = entry["label"]
                marker = label.rfind("in subfield $")
                if marker >= 0 and ("specified" in label or "identified" in label):
                    requires[ord(value)] = label[marker + len("in subfield $")]
    vague = False
    for definition in definitions:
        if definition.get("obsolete"):
            if not definition["values"]:
                vague = True
            obsolete.update(definition["values"])
    obsolete -= set(valid)
    name = current[0]["name"] if current else definitions[0]["name"]
    checked = bool(valid)
    return IndicatorRule(
        name=name,
        valid=frozenset(ord(v) for v in valid),
        obsolete=frozenset(ord(v) for v in obsolete),
        checked=checked,
        vague_obsolete=vague,
        allowed=describe_codes(valid),
        requires=requires,
    )


def _compile_subfields(subfields: dict[str, list[dict[str, Any]]]) -> dict[int, SubfieldRule]:
    compiled: dict[int, SubfieldRule] = {}
    for code, definitions in subfields.items():
        current = [d for d in definitions if not d.get("obsolete")]
        chosen = current or definitions
        compiled[ord(code)] = SubfieldRule(
            label=chosen[0]["label"],
            # Repeatability not stated (None) counts as repeatable: no error on a guess.
            repeatable=any(d.get("repeatable") is not False for d in chosen),
            obsolete=not current,
        )
    return compiled


def _compile_field(tag: str, entry: dict[str, Any], origin: str, advisory: bool) -> FieldRule:
    indicators: tuple[IndicatorRule | None, IndicatorRule | None] = (None, None)
    subfields: dict[int, SubfieldRule] | None = None
    code_values: dict[int, frozenset[str]] = {}
    if entry.get("detailed", True) and "indicators" in entry:
        indicators = (
            _compile_indicator(entry["indicators"][0]),
            _compile_indicator(entry["indicators"][1]),
        )
        subfields = _compile_subfields(entry.get("subfields", {})) or None
        for code, definitions in entry.get("subfields", {}).items():
            for definition in definitions:
                if definition.get("values") and not definition.get("obsolete") and tag != "042":
                    # 042 $a: the field list shows only some authentication codes (LoC keeps
                    # the full list elsewhere), so it cannot be used to check them.
                    code_values[ord(code)] = frozenset(definition["values"])
    code_list = None
    if entry.get("code_list"):
        code_list = frozenset(entry["code_list"]["values"])
    return FieldRule(
        tag=tag,
        name=entry["name"],
        origin=origin,
        repeatable=bool(entry.get("repeatable")),
        obsolete=bool(entry.get("obsolete")),
        advisory=advisory,
        indicators=indicators,
        subfields=subfields,
        same_as_associated=bool(entry.get("subfields_same_as_associated")),
        code_values=code_values,
        code_list=code_list,
    )


def _compile_oclc_field(tag: str, entry: dict[str, Any]) -> FieldRule:
    indicators: list[IndicatorRule | None] = [None, None]
    for i, values in enumerate(entry.get("indicators", [])):
        definition = {
            "name": "OCLC-defined",
            "obsolete": False,
            "values": {v: {"label": label, "obsolete": False} for v, label in values.items()},
        }
        indicators[i] = _compile_indicator([definition])
    subfields = None
    if "subfields" in entry:
        subfields = {
            ord(code): SubfieldRule(sub["label"], bool(sub["repeatable"]), False)
            for code, sub in entry["subfields"].items()
        }
    return FieldRule(
        tag=tag,
        name=entry["name"],
        origin="oclc",
        repeatable=bool(entry.get("repeatable", True)),
        obsolete=False,
        advisory=True,
        indicators=(indicators[0], indicators[1]),
        subfields=subfields,
    )


def _local_rule(tag: str) -> FieldRule:
    return FieldRule(
        tag=tag,
        name="Local field",
        origin="local",
        repeatable=True,
        obsolete=False,
        advisory=True,
        indicators=(None, None),
        subfields=None,
    )


def is_local_tag(tag: str) -> bool:
    return tag[0] == "9" or (tag[1] == "9" and tag[0] in "05678")


def _compile_positions(
    entries: list[dict[str, Any]], material_name: str | None = None
) -> tuple[PositionRule, ...]:
    """Current coded or undefined positions, each knowing the obsolete codes around it."""
    obsolete_each: dict[int, set[str]] = {}
    obsolete_whole: dict[tuple[int, int], set[str]] = {}
    vague: set[int] = set()
    for entry in entries:
        if not entry["obsolete"]:
            continue
        span = range(entry["start"], entry["end"] + 1)
        codes = entry["codes"]
        if not codes and not entry["ranges"]:
            if not entry["undefined"]:
                vague.update(span)
            continue
        if entry.get("match") == "each" or entry["start"] == entry["end"]:
            for p in span:
                obsolete_each.setdefault(p, set()).update(c for c in codes if len(c) == 1)
        else:
            obsolete_whole.setdefault((entry["start"], entry["end"]), set()).update(codes)
            vague.update(span)
    rules: list[PositionRule] = []
    for entry in entries:
        if entry["obsolete"]:
            continue
        codes = {c: e for c, e in entry["codes"].items()}
        current = {c: e["label"] for c, e in codes.items() if not e["obsolete"]}
        old = {c for c, e in codes.items() if e["obsolete"]}
        ranges = tuple((r["from"], r["to"]) for r in entry["ranges"] if not r["obsolete"])
        undefined = entry["undefined"]
        if undefined:
            each = True
            current = {" ": "blank", "|": "fill character"}
        elif not current and not ranges:
            continue  # not coded (dates, place, language): nothing to check here
        else:
            each = entry.get("match") == "each"
        start, end = entry["start"], entry["end"]
        own_each = {p: frozenset(s) for p, s in obsolete_each.items() if start <= p <= end}
        if each and old:
            for p in range(start, end + 1):
                own_each[p] = own_each.get(p, frozenset()) | frozenset(
                    c for c in old if len(c) == 1
                )
        whole_old = frozenset(
            obsolete_whole.get((start, end), set()) | (old if not each else set())
        )
        allowed = describe_codes(current, limit=12)
        if ranges:
            allowed += ", " + ", ".join(f"{low}-{high}" for low, high in ranges)
        if undefined:
            allowed = "blank or fill (|)"
        rules.append(
            PositionRule(
                start=start,
                end=end,
                name=entry["name"],
                each=each,
                valid=frozenset(current),
                ranges=ranges,
                obsolete_whole=whole_old,
                obsolete_each=own_each,
                vague=frozenset(p for p in vague if start <= p <= end),
                undefined=undefined,
                allowed=allowed,
            )
        )
    return tuple(rules)


def _load_json(name: str) -> dict[str, Any]:
    path = resource_path("marc21", name)
    try:
        with path.open(encoding="utf-8") as handle:
            data: dict[str, Any] = json.load(handle)
    except (OSError, ValueError) as error:
        raise RuleTableError(
            f"The MARC 21 rule table {path} could not be read ({error}); reinstall ExportDesk."
        ) from error
    return data


class FieldRules(dict[str, FieldRule | None]):
    """A format's field rules by tag, each compiled the first time it is looked up
    (``rules[tag]``; a record uses a few dozen of the format's hundreds of fields, and
    compiling them all was half the time of loading the tables). A tag that is not three
    digits has no rule: None."""

    def __init__(
        self, marc_fields: dict[str, Any], oclc: dict[str, Any], holdings: dict[str, Any]
    ) -> None:
        super().__init__()
        self._marc_fields = marc_fields
        self._oclc = oclc
        self._holdings = holdings

    def __missing__(self, tag: str) -> FieldRule | None:
        if not (len(tag) == 3 and ascii_digits(tag)):
            return None
        rule = self._compile(tag)
        self[tag] = rule
        return rule

    def get(self, tag: str, default: FieldRule | None = None) -> FieldRule | None:  # type: ignore[override]
        rule = self[tag]
        return default if rule is None else rule

    def _compile(self, tag: str) -> FieldRule | None:
        entry = self._marc_fields.get(tag)
        if entry is not None and not entry["obsolete"] and entry["detailed"]:
            return _compile_field(tag, entry, "marc21", advisory=False)
        if tag in self._oclc:
            return _compile_oclc_field(tag, self._oclc[tag])
        if int(tag) >= 10 and is_local_tag(tag):
            return _local_rule(tag)
        if entry is not None and not entry["obsolete"]:
            # A holdings field the bibliographic list names without detail (853, 863...):
            # checked against the holdings table when it has the field, as warnings only.
            source = self._holdings.get(tag, {"name": entry["name"], "detailed": False})
            return _compile_field(
                tag, {**source, "repeatable": entry["repeatable"]}, "holdings", True
            )
        if entry is not None:
            return _compile_field(tag, entry, "marc21", advisory=True)
        return None


@cache
def format_rules(kind: str) -> FormatRules:
    """The compiled rules of one format, built on first use and kept for the session."""
    table = _load_json(FORMAT_FILES[kind])
    extras = _load_json("oclc-and-local.json")
    relations = _load_json("relationships.json")
    holdings = _load_json("holdings.json")["fields"] if kind == "bib" else {}
    oclc = extras["oclc_fields"]["bibliographic" if kind == "bib" else "authority"]

    leader = {p.start: p for p in _compile_positions(table["leader"]["positions"])}
    type_position = next(p for p in table["leader"]["positions"] if p["start"] == 6)
    record_types = frozenset(c for c, e in type_position["codes"].items() if not e["obsolete"])

    fields = FieldRules(table["fields"], oclc, holdings)
    control_repeatable = {
        tag: bool(entry["repeatable"]) for tag, entry in table.get("control_fields", {}).items()
    }
    fixed = table.get("fixed_fields", {})
    for tag in ("006", "007", "008"):
        if tag in fixed:
            control_repeatable[tag] = bool(fixed[tag]["repeatable"])

    f008 = fixed.get("008", {})
    f008_common = _compile_positions(f008.get("all_materials", []))
    f008_materials = {
        key: FixedLayout(key, m["name"], 40, _compile_positions(m["positions"]))
        for key, m in f008.get("materials", {}).items()
    }
    f006_forms: dict[str, FixedLayout] = {}
    for key, m in fixed.get("006", {}).get("materials", {}).items():
        positions = m["positions"]
        layout = FixedLayout(key, m["name"], 18, _compile_positions(positions[1:]))
        for code, entry in positions[0]["codes"].items():
            if not entry["obsolete"]:
                f006_forms[code] = layout
    f007_categories = {
        code: FixedLayout(code, c["name"], c["length"], _compile_positions(c["positions"][1:]))
        for code, c in fixed.get("007", {}).get("categories", {}).items()
    }

    oclc_leader = extras.get("oclc_leader_values", {}).get(
        "bibliographic" if kind == "bib" else "authority", {}
    )
    materials = relations["material_types"]
    articles = relations["leading_articles"]
    return FormatRules(
        kind=kind,
        source_date=table["_about"]["source_commit_date"],
        leader=leader,
        record_types=record_types,
        fields=fields,
        control_repeatable=control_repeatable,
        f008_common=f008_common,
        f008_materials=f008_materials,
        f006_forms=f006_forms,
        f007_categories=f007_categories,
        oclc_leader17=dict(oclc_leader.get("17", {}).get("values", {})),
        material_rules=tuple(
            (r["leader06"], r.get("leader07", ""), r["material"]) for r in materials["rules"]
        ),
        material_fallback=dict(materials["fallback"]["leader06"]),
        material_names=dict(materials["names"]),
        dates=dict(relations["dates"]),
        articles={lang: frozenset(words) for lang, words in articles["articles"].items()},
        article_punctuation=articles["leading_punctuation"],
    )
