#!/usr/bin/env python3
"""Report where ExportDesk's MARC 21 tables differ from two other readings of the LoC format.

Compares resources/marc21/{bibliographic,authority}.json with

* qa-catalogue's Avram schemas (../shared/marc-data/qa-catalogue/, GPL-3.0), and
* timathom's scrape of the LoC pages (../shared/marc-data/timathom-marc-schema/, Apache-2.0),

element by element: tags, field and subfield repeatability, indicator values, subfield codes,
and the codes of the leader and of 006/007/008 positions. Only *current* (not obsolete)
elements are compared. The other files are read to compare, never copied: nothing from the
GPL files goes into the project's tables.

Each difference is printed as one line ``KIND  WHERE  ours=...  theirs=...`` grouped by
source; a summary counts them by kind. docs/validation.md explains the differences found, and
which ones led to a correction in tools/build_marc_rules.py (ERRATA).

Run from the repository root:
    python tools/crosscheck_marc_rules.py [--source DIR] [--only qa|timathom]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path
from typing import Any

# The same sources and tables as the builder (run from tools/, it is importable).
from build_marc_rules import DEFAULT_SOURCE
from build_marc_rules import OUTPUT_DIR as TABLES

MATERIAL_NAMES = {
    "BK": ("Books", "008b"),
    "CF": ("Computer Files", "008c"),
    "CR": ("Continuing Resources", "008s"),
    "MP": ("Maps", "008p"),
    "MU": ("Music", "008m"),
    "MX": ("Mixed Materials", "008x"),
    "VM": ("Visual Materials", "008v"),
}


def codes_of(raw: Any) -> dict[str, bool]:
    """Code -> deprecated, from either Avram style (objects or plain labels)."""
    result: dict[str, bool] = {}
    for key, value in (raw or {}).items():
        deprecated = isinstance(value, dict) and bool(value.get("deprecated"))
        label = value.get("label", "") if isinstance(value, dict) else str(value)
        if "[OBSOLETE" in label.upper():
            deprecated = True
        for code in expand(key):
            result[code] = result.get(code, False) or deprecated
    return result


def expand(key: str) -> list[str]:
    if len(key) == 3 and key[1] == "-" and key[0].isdigit() and key[2].isdigit():
        return [str(d) for d in range(int(key[0]), int(key[2]) + 1)]
    return [key]


def current(codes: dict[str, bool]) -> set[str]:
    return {c for c, deprecated in codes.items() if not deprecated}


def our_indicator_values(definitions: list[dict[str, Any]]) -> set[str] | None:
    values: set[str] = set()
    checked = False
    for definition in definitions:
        if definition.get("obsolete") or definition.get("same_as_associated"):
            continue
        checked = True
        values.update(v for v, e in definition["values"].items() if not e["obsolete"])
    return values if checked else None


def our_subfields(field: dict[str, Any]) -> dict[str, bool]:
    """Current subfield code -> repeatable."""
    result: dict[str, bool] = {}
    for code, definitions in field.get("subfields", {}).items():
        live = [d for d in definitions if not d.get("obsolete") and "from_range" not in d]
        if live:
            result[code] = any(bool(d.get("repeatable")) for d in live)
    return result


def our_positions(entries: list[dict[str, Any]]) -> dict[str, set[str]]:
    """'start-end' -> current codes, for coded current positions."""
    result: dict[str, set[str]] = {}
    for entry in entries:
        if entry["obsolete"] or entry["undefined"]:
            continue
        codes = {c for c, e in entry["codes"].items() if not e["obsolete"]}
        codes |= {f"{r['from']}-{r['to']}" for r in entry["ranges"] if not r["obsolete"]}
        if codes:
            key = f"{entry['start']:02d}-{entry['end']:02d}"
            result[key] = result.get(key, set()) | {c.replace(" ", "#") for c in codes}
    return result


def their_positions(raw: dict[str, Any]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for key, entry in (raw or {}).items():
        if "[OBSOLETE" in entry.get("label", "").upper() or entry.get("deprecated"):
            continue
        start, end = entry.get("start"), entry.get("end")
        if start is None:
            parts = key.split("-")
            start, end = int(parts[0]), int(parts[-1])
        codes = current(codes_of(entry.get("codes")))
        width = end - start + 1
        normal: set[str] = set()
        for code in codes:
            code = code.replace(" ", "#")
            # A one-character blank or fill stands for the whole of a multi-character position.
            if (
                width > 1
                and len(code) == 1
                and code in "#|"
                and any(len(c) == width for c in codes)
            ):
                code = code * width
            normal.add(code)
        if normal:
            result[f"{start:02d}-{end:02d}"] = normal
    return result


class Report:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []
        self.kinds: collections.Counter[str] = collections.Counter()

    def add(self, kind: str, where: str, ours: Any, theirs: Any) -> None:
        self.kinds[kind] += 1
        self.lines.append(f"{kind:24s} {where:28s} ours={fmt(ours)}  theirs={fmt(theirs)}")

    def print(self) -> None:
        print(f"== {self.source}: {sum(self.kinds.values())} differences")
        for line in self.lines:
            print("  " + line)
        for kind, count in sorted(self.kinds.items()):
            print(f"  summary: {kind}: {count}")


def fmt(value: Any) -> str:
    if isinstance(value, set):
        return "{" + " ".join(sorted(value)) + "}" if value else "{}"
    return str(value)


def compare_fields(report: Report, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    our_tags = {t for t, f in ours.items() if not f["obsolete"]}
    their_tags = {t for t, f in theirs.items() if t[:1].isdigit() and not t.startswith("00")}
    for tag in sorted(our_tags - their_tags):
        report.add("tag only in ours", tag, "defined", "absent")
    for tag in sorted(their_tags - our_tags):
        state = "obsolete" if tag in ours else "absent"
        report.add("tag only in theirs", tag, state, "defined")
    for tag in sorted(our_tags & their_tags):
        mine, other = ours[tag], theirs[tag]
        if "repeatable" in other and bool(other["repeatable"]) != mine["repeatable"]:
            report.add(
                "field repeatability", tag, rep(mine["repeatable"]), rep(other["repeatable"])
            )
        if not mine.get("detailed"):
            continue
        for number in (1, 2):
            our_values = our_indicator_values(mine["indicators"][number - 1])
            raw = other.get(f"indicator{number}")
            if our_values is None or raw is None:
                continue
            their_values = current(codes_of(raw.get("codes")))
            their_values = {" " if v in ("#", "b") else v for v in their_values}
            if not their_values and raw.get("label", "").lower().startswith("undefined"):
                their_values = {" "}
            if our_values != their_values:
                report.add(
                    f"indicator {number} values",
                    tag,
                    {v.replace(" ", "#") for v in our_values},
                    {v.replace(" ", "#") for v in their_values},
                )
        if mine.get("subfields_same_as_associated"):
            continue
        our_subs = our_subfields(mine)
        their_subs = {
            code: bool(sub.get("repeatable"))
            for code, sub in (other.get("subfields") or {}).items()
            if not sub.get("deprecated") and "[OBSOLETE" not in sub.get("label", "").upper()
        }
        for code in sorted(set(our_subs) - set(their_subs)):
            report.add("subfield only in ours", f"{tag} ${code}", "defined", "absent")
        for code in sorted(set(their_subs) - set(our_subs)):
            report.add("subfield only in theirs", f"{tag} ${code}", "absent", "defined")
        for code in sorted(set(our_subs) & set(their_subs)):
            if our_subs[code] != their_subs[code]:
                report.add(
                    "subfield repeatability",
                    f"{tag} ${code}",
                    rep(our_subs[code]),
                    rep(their_subs[code]),
                )


def rep(value: bool) -> str:
    return "R" if value else "NR"


def compare_positions(
    report: Report, where: str, ours: dict[str, set[str]], theirs: dict[str, set[str]]
) -> None:
    for key in sorted(set(ours) | set(theirs)):
        mine, other = ours.get(key), theirs.get(key)
        if mine is None:
            report.add("position only in theirs", f"{where}/{key}", "uncoded", other)
        elif other is None:
            report.add("position only in ours", f"{where}/{key}", mine, "uncoded")
        elif mine != other:
            report.add("position codes", f"{where}/{key}", mine - other, other - mine)


def crosscheck_qa(source: Path) -> list[Report]:
    bib = json.loads((TABLES / "bibliographic.json").read_text(encoding="utf-8"))
    auth = json.loads((TABLES / "authority.json").read_text(encoding="utf-8"))
    qa_bib = json.loads((source / "qa-catalogue" / "marc.json").read_text(encoding="utf-8"))[
        "fields"
    ]
    qa_auth = json.loads(
        (source / "qa-catalogue" / "authority-schema.avram.json").read_text(encoding="utf-8")
    )["fields"]

    report = Report("qa-catalogue marc.json (bibliographic, GPL-3.0; read only)")
    compare_fields(report, bib["fields"], qa_bib)
    compare_positions(
        report,
        "LDR",
        our_positions(bib["leader"]["positions"]),
        their_positions(qa_bib["LDR"]["positions"]),
    )
    fixed = bib["fixed_fields"]
    qa008 = qa_bib["008"]["types"]
    compare_positions(
        report,
        "008 all",
        our_positions(fixed["008"]["all_materials"]),
        their_positions(qa008["All Materials"]["positions"]),
    )
    for key, (name, _) in MATERIAL_NAMES.items():
        compare_positions(
            report,
            f"008 {key}",
            our_positions(fixed["008"]["materials"][key]["positions"]),
            their_positions(qa008[name]["positions"]),
        )
    qa007 = qa_bib["007"]["types"]
    their_by_code: dict[str, dict[str, Any]] = {}
    common = qa007.get("Common", {}).get("positions", {}).get("00", {}).get("codes", {})
    for code, value in common.items():
        label = value["label"] if isinstance(value, dict) else value
        for type_name, entry in qa007.items():
            if type_name.lower() == label.lower():
                their_by_code[code] = entry
    for code, category in fixed["007"]["categories"].items():
        entry = their_by_code.get(code)
        if entry is None:
            report.add("007 category", code, "defined", "absent")
            continue
        ours = our_positions(category["positions"])
        ours.pop("00-00", None)
        compare_positions(report, f"007 {code}", ours, their_positions(entry["positions"]))

    auth_report = Report("qa-catalogue authority-schema.avram.json (authority, GPL-3.0; read only)")
    compare_fields(auth_report, auth["fields"], qa_auth)
    compare_positions(
        auth_report,
        "LDR",
        our_positions(auth["leader"]["positions"]),
        their_positions(qa_auth["LDR"]["positions"]),
    )
    compare_positions(
        auth_report,
        "008",
        our_positions(auth["fixed_fields"]["008"]["all_materials"]),
        their_positions(qa_auth["008"]["positions"]),
    )
    return [report, auth_report]


def crosscheck_timathom(source: Path) -> list[Report]:
    bib = json.loads((TABLES / "bibliographic.json").read_text(encoding="utf-8"))
    auth = json.loads((TABLES / "authority.json").read_text(encoding="utf-8"))
    folder = source / "timathom-marc-schema"
    tim_bib = json.loads((folder / "marc21_bibliographic_schema.json").read_text(encoding="utf-8"))[
        "fields"
    ]
    tim_auth = json.loads((folder / "marc21_authority_schema.json").read_text(encoding="utf-8"))[
        "fields"
    ]
    report = Report("timathom marc21_bibliographic_schema.json (Apache-2.0)")
    compare_fields(report, bib["fields"], tim_bib)
    fixed = bib["fixed_fields"]
    compare_positions(
        report,
        "008 all",
        our_positions(fixed["008"]["all_materials"]),
        their_positions(tim_bib["008a"]["positions"]),
    )
    for key, (_, tim_key) in MATERIAL_NAMES.items():
        compare_positions(
            report,
            f"008 {key}",
            our_positions(fixed["008"]["materials"][key]["positions"]),
            their_positions(tim_bib[tim_key]["positions"]),
        )
    for code, category in fixed["007"]["categories"].items():
        entry = tim_bib.get(f"007{code}")
        if entry is None:
            report.add("007 category", code, "defined", "absent")
            continue
        ours = our_positions(category["positions"])
        ours.pop("00-00", None)
        theirs = their_positions(entry["positions"])
        theirs.pop("00-00", None)
        compare_positions(report, f"007 {code}", ours, theirs)
    auth_report = Report("timathom marc21_authority_schema.json (Apache-2.0)")
    compare_fields(auth_report, auth["fields"], tim_auth)
    return [report, auth_report]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--only", choices=("qa", "timathom"))
    args = parser.parse_args(argv)
    try:
        reports: list[Report] = []
        if args.only in (None, "qa"):
            reports += crosscheck_qa(args.source)
        if args.only in (None, "timathom"):
            reports += crosscheck_timathom(args.source)
    except OSError as error:
        print(f"crosscheck_marc_rules: {error}", file=sys.stderr)
        return 2
    for report in reports:
        report.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
