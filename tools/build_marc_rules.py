#!/usr/bin/env python3
"""Build ExportDesk's MARC 21 rule tables from the Library of Congress field lists.

Reads (from ../shared/marc-data, or --source):

* ``folio-loc-field-lists/bibliographic.html`` and ``authority.html``: LoC's "MARC 21 Format
  for ... Data: Field List" as copied by FOLIO (plain text inside one ``<pre>``);
* ``timathom-marc-schema/marc21_holdings_schema.json`` (Apache-2.0): only for the holdings
  fields (841-88X) that the bibliographic list names without detailing.

Writes ``resources/marc21/bibliographic.json``, ``authority.json`` and ``holdings.json``. Each
starts with an ``_about`` header naming the source file, its commit and date, and the date the
table was generated. The output is deterministic: running the script again on the same sources
rewrites byte-identical files (the generation date is kept unless the content changed).

Table conventions (the validator in app/core/validation relies on them):

* a blank is written as a space (" "), never as LoC's "#";
* ranges of single characters ("0-9") are expanded; ranges of multi-character values
  ("001-999") stay ranges, in ``ranges``;
* each element can have several definitions (a current one and obsolete ones, or two obsolete
  ones); every definition is kept with its own ``obsolete`` flag.

Quirks of the LoC text handled here (see marc-data/README.md): tag lines with a leading space,
"(NR)" glued to the name or after two spaces, "[OBSOLETE]" with or without a space, obsolete
indicator blocks after the current one, "0-9 Number of ..." without the dash, "# -Undefined",
a label wrapped onto a second line, a code line indented further than its neighbours, "[   ]"
in place of "[OBSOLETE]", "|- No attempt to code" without a space, code lists and character
positions under a subfield, notes such as "[US-LOCAL]" after a name, and a one character fill
code ("|") under a two-character position (008 maps 22-23).

Run from the repository root:  python tools/build_marc_rules.py [--check]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# ../shared beside the checkout (or beside the folder of worktrees it sits in).
DEFAULT_SOURCE = next(
    (
        p / "shared" / "marc-data"
        for p in (REPO.parent, REPO.parent.parent)
        if (p / "shared").is_dir()
    ),
    REPO.parent / "shared" / "marc-data",
)
OUTPUT_DIR = REPO / "resources" / "marc21"

# Provenance of the source files, from marc-data/README.md.
FOLIO_SOURCE = {
    "repository": "https://github.com/folio-org/mod-record-specifications",
    "commit": "290203359b5d93dea0fc3ff92043f19234b40e48",
    "commit_date": "2026-04-16",
    "licence": "Apache-2.0 (repository); the text is the Library of Congress's (public domain)",
}
FOLIO_PATHS = {
    "bibliographic": "mod-record-specifications-server/src/main/resources/spec/marc/"
    "bibliographic.html",
    "authority": "mod-record-specifications-server/src/main/resources/spec/marc/authority.html",
}
TIMATHOM_SOURCE = {
    "repository": "https://github.com/timathom/marc-schema",
    "path": "marc21_holdings_schema.json",
    "commit": "f380514633bf4a951c9eff5d0cdaf9443e60a7a2",
    "commit_date": "2024-01-04",
    "licence": "Apache-2.0",
}

# The material configurations of 006/008 as the LoC list names them, and the short codes
# MARC documentation uses for them.
MATERIAL_CODES = {
    "BOOKS": "BK",
    "COMPUTER FILES": "CF",
    "COMPUTER FILES/ELECTRONIC RESOURCES": "CF",
    "MAPS": "MP",
    "MIXED MATERIALS": "MX",
    "MUSIC": "MU",
    "CONTINUING RESOURCES": "CR",
    "VISUAL MATERIALS": "VM",
}

OBSOLETE_MARK = re.compile(r"\s*\[(?:OBSOLETE|\s+)\]\s*")
# Other bracketed notes LoC puts after a name: kept as notes, not part of the name.
NOTE_MARK = re.compile(r"\s*\[(US-LOCAL|LOCAL|REDEFINED|CAN/MARC only)\]\s*")

# Corrections to the LoC field list, each confirmed on LoC's own page for the element (and
# found by tools/crosscheck_marc_rules.py, where the two other readings agree against it).
ERRATA = [
    {
        "format": "bibliographic",
        "tag": "008",
        "material": "CF",
        "start": 23,
        "add_codes": {" ": "Unknown or not specified", "|": "No attempt to code"},
        "source": "https://www.loc.gov/marc/bibliographic/bd008c.html (008/23 Form of item for"
        " computer files lists # and |; the field list omits them)",
    },
] + [
    {
        "format": kind,
        "tag": tag,
        "subfield": code,
        "repeatable": True,
        "source": f"LoC's page for field {tag} gives ${code} as (R) (as scraped by timathom,"
        " December 2023, and as qa-catalogue has it); the field list says (NR). A validator"
        " should not call a legitimate repeat an error.",
    }
    for kind, tag, code in (
        ("bibliographic", "071", "c"),
        ("bibliographic", "538", "5"),
        ("bibliographic", "650", "e"),
        ("authority", "086", "z"),
    )
]
REPEATABILITY = re.compile(r"\((N?R)\)")
TAG_LINE = re.compile(r"^ {0,3}(\d{3}) - (.*)$")
SECTION_LINE = re.compile(r"^--.*--$")
MATERIAL_LINE = re.compile(r"^\s+(00[678])--(.+?)\s*$")
POSITION_LINE = re.compile(r"^(\d{2})(?:-(\d{2}))? - (.*)$")
CODE_LINE = re.compile(r"^(\S+?)\s+-\s*(.*)$|^(\S+)\s+(.*)$")
INDICATOR_LINE = re.compile(r"^(First|Second) - (.*)$")
SUBFIELD_LINE = re.compile(r"^\$([a-z0-9])(?:-([a-z0-9]))?\s*(?:-\s*)?(.*)$")
GLUED_DASH = re.compile(r"^(\|+)-\s")
SUBFIELD_POSITION_LINE = re.compile(r"^/?(\d+(?:-\d+)?) - (.*)$")


class SourceError(Exception):
    """The LoC text has a line this parser does not understand: fail rather than guess."""


def clean_label(text: str) -> tuple[str, bool]:
    """Label text without the [OBSOLETE] mark, and whether the mark was there."""
    obsolete = bool(OBSOLETE_MARK.search(text))
    label = OBSOLETE_MARK.sub(" ", text)
    label = NOTE_MARK.sub(" ", label).strip()
    label = re.sub(r"\s+", " ", label)
    if label.endswith(" -"):  # "009 - ... (VM) - [OBSOLETE]"
        label = label[:-2].rstrip()
    return label, obsolete


def split_repeatability(text: str) -> tuple[str, bool | None]:
    """Name without its (R)/(NR) mark, and True/False/None (not stated)."""
    marks = REPEATABILITY.findall(text)
    if not marks:
        return text.strip(), None
    name = REPEATABILITY.sub(" ", text)
    name = re.sub(r"\s+", " ", name).strip()
    return name, marks[-1] == "R"


def blank(value: str) -> str:
    return value.replace("#", " ")


def expand_value(raw: str, width: int) -> tuple[list[str], list[list[str]]]:
    """Values and ranges a code line stands for, in a position ``width`` characters wide."""
    value = blank(raw)
    match = re.fullmatch(r"(\d+)-(\d+)", raw)
    if match and len(match.group(1)) == len(match.group(2)):
        low, high = match.groups()
        if len(low) == 1:
            return [str(d) for d in range(int(low), int(high) + 1)], []
        return [], [[low, high]]
    return [value], []


def settle_position(position: dict[str, Any]) -> None:
    """Decide how a position of several characters is checked, and normalise its codes.

    ``match`` is "each" when every character is coded on its own (008/18-21 Illustrations:
    up to four one-letter codes) and "whole" when the codes span the position (008/22-23
    Projection "aa", 008/18-20 Running time "001"-"999"). In "whole" positions a one-character
    blank or fill code stands for the whole position (LoC writes the fill of 008 maps 22-23 as
    one "|"); in "each" positions it is one character."""
    width = position["end"] - position["start"] + 1
    codes: dict[str, Any] = position["codes"]
    if width == 1 or not (codes or position["ranges"]):
        position["match"] = "whole"
        return
    each = any(len(code) == 1 and code not in " |" for code in codes) and not position["ranges"]
    settled: dict[str, Any] = {}
    for code, entry in codes.items():
        if each and len(code) == width and len(set(code)) == 1 and code[0] in " |":
            code = code[0]
        elif not each and len(code) == 1 and code in " |":
            code = code * width
        if (each and len(code) != 1) or (not each and len(code) != width):
            raise SourceError(f"position {position['name']!r}: code {code!r} does not fit")
        settled.setdefault(code, entry)
    position["codes"] = settled
    position["match"] = "each" if each else "whole"


# --- the LoC field lists -------------------------------------------------------------------


class FieldListParser:
    """Reads one LoC field list into the project's table structure."""

    def __init__(self, text: str, kind: str) -> None:
        self.kind = kind
        self.lines = self._pre_lines(text)
        self.leader: list[dict[str, Any]] = []
        self.control: dict[str, dict[str, Any]] = {}
        self.fixed: dict[str, dict[str, Any]] = {}
        self.fields: dict[str, dict[str, Any]] = {}

    @staticmethod
    def _pre_lines(text: str) -> list[str]:
        start = text.index("<pre>") + len("<pre>")
        end = text.index("</pre>")
        body = text[start:end].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        return body.split("\n")

    def parse(self) -> None:
        # States: where the current line belongs.
        block: str | None = None  # "leader", "directory", "fixed", "field"
        positions: list[dict[str, Any]] | None = None  # list being filled with positions
        position: dict[str, Any] | None = None
        field: dict[str, Any] | None = None
        field_part: str | None = None  # "indicators" or "subfields"
        indicator: dict[str, Any] | None = None
        subfield: dict[str, Any] | None = None
        last_coded: dict[str, Any] | None = None  # last code entry, for wrapped labels
        code_indent = 0

        for number, raw in enumerate(self.lines, 1):
            line = raw.rstrip()
            stripped = line.strip()
            indent = len(line) - len(line.lstrip(" "))
            if not stripped:
                last_coded = None
                continue
            if SECTION_LINE.match(stripped) and indent == 0:
                block, positions, position, field = None, None, None, None
                if stripped == "--Leader and Directory--":
                    block = "leader-intro"
                continue
            if block == "leader-intro" and stripped == "LEADER":
                block, positions = "leader", self.leader
                continue
            if stripped == "DIRECTORY":
                block, positions = "directory", None
                continue
            if block == "directory":
                continue  # the directory layout is fixed by ISO 2709; nothing to tabulate
            tag_match = TAG_LINE.match(line)
            if tag_match:
                tag, rest = tag_match.groups()
                name, repeatable = split_repeatability(rest)
                notes = NOTE_MARK.findall(name)
                name, obsolete = clean_label(name)
                entry: dict[str, Any] = {
                    "name": name,
                    "repeatable": repeatable,
                    "obsolete": obsolete,
                }
                if notes:
                    entry["notes"] = notes
                position = indicator = subfield = last_coded = None
                field_part = None
                if tag < "010":
                    block = "fixed"
                    entry["positions"] = []
                    positions = entry["positions"]
                    self._add_control(tag, entry)
                    field = entry
                else:
                    block = "field"
                    positions = None
                    entry["indicators"] = [[], []]
                    entry["subfields"] = {}
                    field = self._add_field(tag, entry)
                continue
            if block is None:
                if stripped.isupper() and "GENERAL INFORMATION" in stripped:
                    continue  # a chapter heading such as "HEADINGS--GENERAL INFORMATION"
                raise SourceError(f"line {number}: text outside any field: {line!r}")
            if stripped.lower() == "character positions":
                continue

            if block in ("leader", "fixed"):
                material = MATERIAL_LINE.match(line)
                if material and field is not None:
                    material_name = material.group(2)
                    positions = []
                    field.setdefault("materials", []).append(
                        {"name": material_name.strip(), "positions": positions}
                    )
                    position = last_coded = None
                    continue
                pos = POSITION_LINE.match(stripped)
                if pos and indent < 8:
                    start, end, rest = pos.groups()
                    label, obsolete = clean_label(rest)
                    position = {
                        "start": int(start),
                        "end": int(end) if end else int(start),
                        "name": label,
                        "obsolete": obsolete,
                        "undefined": label.lower().startswith("undefined"),
                        "codes": {},
                        "ranges": [],
                    }
                    if positions is None:
                        raise SourceError(f"line {number}: position outside a field: {line!r}")
                    positions.append(position)
                    last_coded = None
                    continue
                if (
                    indent >= 8
                    and last_coded is not None
                    and indent > code_indent + 2
                    and " - " not in stripped
                ):
                    # A label wrapped onto a second line (authority 008/07 code g).
                    last_coded["label"] += " " + stripped
                    continue
                if indent >= 8 and position is not None:
                    last_coded = self._add_code(position, stripped, number, last_coded)
                    code_indent = indent
                    continue
                raise SourceError(f"line {number}: unexpected in fixed field: {line!r}")

            # block == "field": a data field
            assert field is not None
            if stripped == "Indicators":
                field_part, indicator, subfield = "indicators", None, None
                continue
            if stripped in ("Subfield Codes", "Subfield Code"):
                field_part, indicator, subfield = "subfields", None, None
                continue
            if stripped.endswith("Codes") and indent < 6:
                # A code list for the field's data (048 "Instrument or Voices Codes").
                field_part, indicator, subfield = "code_list", None, None
                field["code_list"] = {"name": stripped, "values": {}}
                continue
            if field_part == "code_list":
                match = CODE_LINE.match(stripped)
                if not match:
                    raise SourceError(f"line {number}: not a code: {line!r}")
                raw = match.group(1) or match.group(3)
                rest = match.group(2) if match.group(1) else match.group(4)
                label, obsolete = clean_label(rest)
                field["code_list"]["values"][raw] = {"label": label, "obsolete": obsolete}
                continue
            ind = INDICATOR_LINE.match(stripped)
            if ind and field_part == "indicators":
                which, rest = ind.groups()
                label, obsolete = clean_label(rest)
                indicator = {"name": label, "obsolete": obsolete, "values": {}}
                if label.lower().startswith("same as associated field"):
                    indicator["same_as_associated"] = True
                field["indicators"][0 if which == "First" else 1].append(indicator)
                continue
            if field_part == "indicators" and indicator is not None and indent >= 8:
                self._add_indicator_value(indicator, stripped, number)
                continue
            sub = SUBFIELD_LINE.match(stripped)
            if sub and field_part == "subfields" and indent < 8:
                first, last, rest = sub.groups()
                name, repeatable = split_repeatability(rest)
                label, obsolete = clean_label(name)
                codes = [first]
                if last:
                    codes = [chr(c) for c in range(ord(first), ord(last) + 1)]
                same = label.lower().startswith("same as associated field")
                if same:
                    field["subfields_same_as_associated"] = True
                for code in codes:
                    if same and code in field["subfields"]:
                        continue
                    definition: dict[str, Any] = {
                        "label": label,
                        "repeatable": repeatable,
                        "obsolete": obsolete,
                    }
                    if last:
                        definition["from_range"] = f"${first}-{last}"
                    field["subfields"].setdefault(code, []).append(definition)
                subfield = field["subfields"][first][-1] if not last else None
                continue
            if field_part == "subfields" and subfield is not None and indent >= 8:
                self._add_subfield_detail(subfield, stripped, number)
                continue
            raise SourceError(f"line {number}: unexpected in field: {line!r}")

    # -- pieces

    def _add_control(self, tag: str, entry: dict[str, Any]) -> None:
        if tag in self.control:
            raise SourceError(f"control field {tag} listed twice")
        self.control[tag] = entry

    def _add_field(self, tag: str, entry: dict[str, Any]) -> dict[str, Any]:
        # A tag may be listed twice (two obsolete meanings of 090 or 590): keep both.
        self.fields.setdefault(tag, {"definitions": []})["definitions"].append(entry)
        return entry

    @staticmethod
    def _add_code(
        position: dict[str, Any], text: str, number: int, last: dict[str, Any] | None
    ) -> dict[str, Any]:
        text = GLUED_DASH.sub(r"\1 - ", text)  # "|- No attempt to code" (007 v/05)
        match = CODE_LINE.match(text)
        if not match:
            raise SourceError(f"line {number}: not a code line: {text!r}")
        raw = match.group(1) or match.group(3)
        rest = match.group(2) if match.group(1) else match.group(4)
        label, obsolete = clean_label(rest)
        width = position["end"] - position["start"] + 1
        values, ranges = expand_value(raw, width)
        entry = {"label": label, "obsolete": obsolete}
        for value in values:
            previous = position["codes"].get(value)
            if previous is not None:
                # The same code listed twice (once current, once obsolete): it is current.
                previous["obsolete"] = previous["obsolete"] and obsolete
                if not obsolete:
                    previous["label"] = label
                entry = previous
                continue
            position["codes"][value] = dict(entry)
            entry = position["codes"][value]
        for low, high in ranges:
            position["ranges"].append({"from": low, "to": high, **entry})
        return entry

    @staticmethod
    def _add_indicator_value(indicator: dict[str, Any], text: str, number: int) -> None:
        match = CODE_LINE.match(text)
        if not match:
            raise SourceError(f"line {number}: not an indicator value: {text!r}")
        raw = match.group(1) or match.group(3)
        rest = match.group(2) if match.group(1) else match.group(4)
        label, obsolete = clean_label(rest)
        values, ranges = expand_value(raw, 1)
        if ranges or any(len(v) != 1 for v in values):
            raise SourceError(f"line {number}: indicator value is not one character: {text!r}")
        for value in values:
            previous = indicator["values"].get(value)
            if previous is not None:
                previous["obsolete"] = previous["obsolete"] and obsolete
                continue
            indicator["values"][value] = {"label": label, "obsolete": obsolete}

    @staticmethod
    def _add_subfield_detail(subfield: dict[str, Any], text: str, number: int) -> None:
        """A code list (042 $a) or the character positions of a control subfield ($7, $w)."""
        label_lower = subfield["label"].lower()
        if "control subfield" in label_lower or "fixed-length data element" in label_lower:
            pos = SUBFIELD_POSITION_LINE.match(text)
            if pos:
                label, obsolete = clean_label(pos.group(2))
                subfield.setdefault("positions", []).append(
                    {"position": pos.group(1), "name": label, "obsolete": obsolete}
                )
                return
            # A code under a position (533 $7/12 "n - Not applicable"): informative only.
            match = CODE_LINE.match(text)
            if match and subfield.get("positions"):
                raw = match.group(1) or match.group(3)
                rest = match.group(2) if match.group(1) else match.group(4)
                label, obsolete = clean_label(rest)
                subfield["positions"][-1].setdefault("codes", {})[blank(raw)] = {
                    "label": label,
                    "obsolete": obsolete,
                }
                return
            raise SourceError(f"line {number}: not a subfield position: {text!r}")
        match = CODE_LINE.match(text)
        if not match:
            raise SourceError(f"line {number}: not a subfield code: {text!r}")
        raw = match.group(1) or match.group(3)
        rest = match.group(2) if match.group(1) else match.group(4)
        label, obsolete = clean_label(rest)
        subfield.setdefault("values", {})[raw] = {"label": label, "obsolete": obsolete}


def finish_fields(parser: FieldListParser) -> dict[str, dict[str, Any]]:
    """One entry per tag: merged repeatability and obsolescence over its definitions."""
    fields: dict[str, dict[str, Any]] = {}
    for tag in sorted(parser.fields):
        definitions = parser.fields[tag]["definitions"]
        current = [d for d in definitions if not d["obsolete"]] or definitions
        main = current[0]
        entry: dict[str, Any] = {
            "name": main["name"],
            "repeatable": any(d["repeatable"] for d in current),
            "obsolete": all(d["obsolete"] for d in definitions),
        }
        detailed = any(
            d["indicators"][0] or d["indicators"][1] or d["subfields"] for d in definitions
        )
        entry["detailed"] = detailed
        if detailed:
            indicators: list[list[dict[str, Any]]] = [[], []]
            subfields: dict[str, list[dict[str, Any]]] = {}
            for definition in definitions:
                field_obsolete = definition["obsolete"]
                for i in (0, 1):
                    for ind in definition["indicators"][i]:
                        ind = dict(ind)
                        ind["obsolete"] = ind["obsolete"] or field_obsolete
                        indicators[i].append(ind)
                for code, defs in definition["subfields"].items():
                    for sub in defs:
                        sub = dict(sub)
                        sub["obsolete"] = sub["obsolete"] or field_obsolete
                        subfields.setdefault(code, []).append(sub)
                if definition.get("subfields_same_as_associated"):
                    entry["subfields_same_as_associated"] = True
                if definition.get("code_list"):
                    entry["code_list"] = definition["code_list"]
            entry["indicators"] = indicators
            entry["subfields"] = subfields
        if len(definitions) > 1:
            entry["other_names"] = [d["name"] for d in definitions[1:]]
        if main.get("notes"):
            entry["notes"] = main["notes"]
        fields[tag] = entry
    return fields


def material_key(name: str, number_for: dict[str, int]) -> str:
    code = MATERIAL_CODES.get(name)
    if code is None:
        raise SourceError(f"unknown material configuration {name!r}")
    return code


def finish_fixed(parser: FieldListParser, kind: str) -> dict[str, Any]:
    """006/007/008 (and obsolete 009) by material type or category of material."""
    fixed: dict[str, Any] = {}
    control: dict[str, Any] = {}
    for tag, entry in parser.control.items():
        base = {"name": entry["name"], "repeatable": bool(entry["repeatable"])}
        base["obsolete"] = entry["obsolete"]
        materials = entry.get("materials")
        if tag == "008" and materials:
            all_materials = [m for m in materials if m["name"] == "ALL MATERIALS"]
            others = [m for m in materials if m["name"] != "ALL MATERIALS"]
            fixed[tag] = {
                **base,
                "length": 40,
                "all_materials": all_materials[0]["positions"],
                "materials": {
                    material_key(m["name"], {}): {
                        "name": m["name"].title(),
                        "positions": m["positions"],
                    }
                    for m in others
                },
            }
        elif tag == "008":
            # Authority 008: one set of positions for every record.
            fixed[tag] = {
                **base,
                "length": 40,
                "all_materials": entry["positions"],
                "materials": {},
            }
        elif tag == "006":
            fixed[tag] = {
                **base,
                "length": 18,
                "materials": {
                    material_key(m["name"], {}): {
                        "name": m["name"].title(),
                        "positions": m["positions"],
                    }
                    for m in materials or []
                },
            }
        elif tag == "007":
            categories: dict[str, Any] = {}
            for m in materials or []:
                first = m["positions"][0]
                if first["start"] != 0 or len(first["codes"]) != 1:
                    raise SourceError(f"007 {m['name']}: no single category code at position 00")
                (code,) = first["codes"]
                categories[code] = {
                    "name": m["name"].title(),
                    "length": max(p["end"] for p in m["positions"]) + 1,
                    "positions": m["positions"],
                }
            fixed[tag] = {**base, "categories": dict(sorted(categories.items()))}
        elif entry.get("positions"):
            fixed[tag] = {
                **base,
                "length": max(p["end"] for p in entry["positions"]) + 1,
                "all_materials": entry["positions"],
            }
        else:
            control[tag] = base
    applied = apply_errata(fixed, kind)
    if "006" in fixed and "008" in fixed:
        fill_006_codes(fixed["006"], fixed["008"])
    for position in all_positions(fixed):
        settle_position(position)
    return {"control_fields": control, "fixed_fields": fixed, "errata": applied}


def apply_field_errata(fields: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    applied = []
    for erratum in ERRATA:
        if erratum["format"] != kind or "subfield" not in erratum:
            continue
        definitions = fields[erratum["tag"]]["subfields"][erratum["subfield"]]
        for definition in definitions:
            if not definition["obsolete"]:
                definition["repeatable"] = erratum["repeatable"]
        applied.append(erratum)
    return applied


def apply_errata(fixed: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    applied = []
    for erratum in ERRATA:
        if erratum["format"] != kind or "subfield" in erratum:
            continue
        f = fixed[erratum["tag"]]
        positions = f["materials"][erratum["material"]]["positions"]
        for position in positions:
            if position["start"] == erratum["start"] and not position["obsolete"]:
                for code, label in erratum["add_codes"].items():
                    position["codes"].setdefault(code, {"label": label, "obsolete": False})
                applied.append(erratum)
                break
        else:
            raise SourceError(f"erratum does not apply: {erratum}")
    return applied


def all_positions(fixed: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for entry in fixed.values():
        found.extend(entry.get("all_materials", []))
        for group in ("materials", "categories"):
            for material in entry.get(group, {}).values():
                found.extend(material["positions"])
    return found


def fill_006_codes(f006: dict[str, Any], f008: dict[str, Any]) -> None:
    """The LoC list gives 006 positions without codes: 006/01-17 are 008/18-34 of the same
    material, so their codes are copied from 008 (and the copy is named in ``codes_from``)."""
    for key, material in f006["materials"].items():
        positions_008 = f008["materials"].get(key, {}).get("positions", [])
        for position in material["positions"]:
            if position["start"] == 0 or position["codes"] or position["undefined"]:
                continue
            start, end = position["start"] + 17, position["end"] + 17
            matches = [
                p
                for p in positions_008
                if p["start"] == start
                and p["end"] == end
                and p["obsolete"] == position["obsolete"]
                and p["codes"]
            ]
            if matches:
                source = matches[0]
                position["codes"] = json.loads(json.dumps(source["codes"]))
                position["ranges"] = json.loads(json.dumps(source["ranges"]))
                position["codes_from"] = (
                    f"008/{start:02d}-{end:02d}" if end != start else f"008/{start:02d}"
                )


def build_format(source: Path, kind: str) -> tuple[dict[str, Any], FieldListParser]:
    path = source / "folio-loc-field-lists" / f"{kind}.html"
    parser = FieldListParser(path.read_text(encoding="utf-8"), kind)
    parser.parse()
    table: dict[str, Any] = {
        "_about": {
            "format": f"MARC 21 Format for {kind.title()} Data",
            "source_file": f"marc-data/folio-loc-field-lists/{kind}.html",
            "source_repository": FOLIO_SOURCE["repository"],
            "source_path": FOLIO_PATHS[kind],
            "source_commit": FOLIO_SOURCE["commit"],
            "source_commit_date": FOLIO_SOURCE["commit_date"],
            "source_licence": FOLIO_SOURCE["licence"],
            "generator": "tools/build_marc_rules.py",
            "generated": "",
            "conventions": [
                "A blank is written as a space, not as '#'.",
                "Each element lists all its definitions, current and obsolete, each with an"
                " 'obsolete' flag.",
                "Single-character ranges (0-9) are expanded; multi-character ranges stay in"
                " 'ranges'.",
                "006 codes are copied from the matching 008 positions ('codes_from').",
                "A field with 'detailed': false is named by the list without indicators or"
                " subfields.",
            ],
        },
        "leader": {"length": 24, "positions": parser.leader},
    }
    for position in parser.leader:
        settle_position(position)
    fixed = finish_fixed(parser, kind)
    table["_about"]["errata"] = fixed.pop("errata")
    table.update(fixed)
    table["fields"] = finish_fields(parser)
    table["_about"]["errata"] += apply_field_errata(table["fields"], kind)
    return table, parser


# --- holdings --------------------------------------------------------------------------------


def build_holdings(source: Path, bib_fields: dict[str, Any]) -> dict[str, Any]:
    """The holdings definitions of the fields the bibliographic list names without details."""
    path = source / "timathom-marc-schema" / "marc21_holdings_schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))["fields"]
    wanted = sorted(
        tag
        for tag, f in bib_fields.items()
        if not f["detailed"] and tag >= "841" and not f["obsolete"]
    )
    fields: dict[str, Any] = {}
    for tag in wanted:
        definition = schema.get(tag)
        if definition is None:
            continue
        indicators: list[list[dict[str, Any]]] = []
        complete = True
        for key in ("indicator1", "indicator2"):
            ind = definition.get(key) or {}
            values: dict[str, Any] = {}
            for raw, label in (ind.get("codes") or {}).items():
                expanded = expand_value(raw, 1)[0] if raw != " " else [" "]
                for value in expanded:
                    values[value] = {"label": label, "obsolete": False}
            if not values:
                complete = False
            indicators.append([{"name": ind.get("label", ""), "obsolete": False, "values": values}])
        subfields = {
            code: [
                {
                    "label": sub.get("label", ""),
                    "repeatable": bool(sub.get("repeatable")),
                    "obsolete": False,
                }
            ]
            for code, sub in (definition.get("subfields") or {}).items()
        }
        if not subfields:
            complete = False
        fields[tag] = {
            "name": definition.get("label", bib_fields[tag]["name"]),
            "repeatable": bool(definition.get("repeatable")),
            "obsolete": False,
            "detailed": bool(subfields) or any(i[0]["values"] for i in indicators),
            "complete": complete,
            "indicators": indicators,
            "subfields": subfields,
        }
    return {
        "_about": {
            "format": "MARC 21 Format for Holdings Data (only the fields the bibliographic list"
            " names without detail)",
            "source_file": "marc-data/timathom-marc-schema/marc21_holdings_schema.json",
            "source_repository": TIMATHOM_SOURCE["repository"],
            "source_path": TIMATHOM_SOURCE["path"],
            "source_commit": TIMATHOM_SOURCE["commit"],
            "source_commit_date": TIMATHOM_SOURCE["commit_date"],
            "source_licence": TIMATHOM_SOURCE["licence"],
            "generator": "tools/build_marc_rules.py",
            "generated": "",
            "conventions": [
                "A blank is written as a space.",
                "A scrape of the LoC pages made in December 2023; 'complete': false marks fields"
                " whose indicators or subfields it lacks. The validator reports findings from this"
                " table as warnings only.",
            ],
        },
        "fields": fields,
    }


# --- output ----------------------------------------------------------------------------------


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, ensure_ascii=False, indent=1) + "\n"


def write_table(path: Path, table: dict[str, Any], today: str, check: bool) -> bool:
    """Write ``table``; keep the previous generation date when nothing else changed.

    Returns True when the file is (or, with ``check``, would be) unchanged."""
    previous_date = None
    if path.exists():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
            previous_date = previous.get("_about", {}).get("generated")
            previous["_about"]["generated"] = ""
            if render(previous) == render(table) and previous_date:
                table["_about"]["generated"] = previous_date
                return True
        except (ValueError, KeyError):
            pass
    table["_about"]["generated"] = today
    if check:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(render(table), encoding="utf-8")
    temporary.replace(path)
    return False


def summary(name: str, table: dict[str, Any]) -> str:
    fields = table["fields"]
    current = [t for t, f in fields.items() if not f["obsolete"]]
    subfields = sum(len(f.get("subfields", {})) for f in fields.values())
    extra = ""
    if "fixed_fields" in table:
        fixed = table["fixed_fields"]
        extra = f", fixed fields {sorted(fixed)}"
        if "007" in fixed:
            extra += f", 007 categories {len(fixed['007']['categories'])}"
    return (
        f"{name}: {len(fields)} data field tags ({len(current)} current),"
        f" {subfields} subfield codes{extra}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the marc-data folder")
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR)
    parser.add_argument(
        "--check", action="store_true", help="only report whether the tables are up to date"
    )
    parser.add_argument("--date", help="generation date to record (default: today)")
    args = parser.parse_args(argv)
    today = args.date or dt.date.today().isoformat()

    try:
        bib, _ = build_format(args.source, "bibliographic")
        auth, _ = build_format(args.source, "authority")
        holdings = build_holdings(args.source, bib["fields"])
    except (OSError, SourceError) as error:
        print(f"build_marc_rules: {error}", file=sys.stderr)
        return 2

    stale = []
    for name, table in (("bibliographic", bib), ("authority", auth), ("holdings", holdings)):
        unchanged = write_table(args.output / f"{name}.json", table, today, args.check)
        if not unchanged:
            stale.append(name)
        print(summary(name, table))
    if args.check and stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    print("written: " + (", ".join(stale) if stale else "nothing (tables already up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
