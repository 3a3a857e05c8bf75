#!/usr/bin/env python3
"""ExportDesk's validator next to MARC::Lint on the bibliographic records of the corpus.

Runs MARC::Lint (Debian's libmarc-lint-perl; install with ``apt-get install
libmarc-lint-perl``) and ``validate_record(raw, "full", "bib")`` on the same records: every
ISO 2709 record of ../shared/marc-corpus whose leader/06 is not z (authority) or a holdings
type. Findings are sorted into kinds (unknown tag, indicator value, subfield code, ...) and
matched per record, tag and kind; the report says for each kind how often both tools, only
MARC::Lint or only ExportDesk found something, with examples. docs/validation.md explains each
kind of difference. Both tools are timed on the same records in the same run, each from its
own reading of the same file to its list of findings: the records up to 99,999 bytes (the
three longer ones ISO 2709 can't describe: ExportDesk's reader reports them unread, MARC::Lint
reads them anyway, so timing them would compare different work). Neither program's start-up is
counted here; bench/validate_process.py compares whole processes.

    python bench/compare_marclint.py [--examples N]
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from marc_samples import corpus_records

from app.core.marc import RecordRead, read_records
from app.core.validation import ValidationMessage, validate_record
from app.core.validation.encoding import marc8_problem
from app.core.validation.tables import format_rules

MAX_RECORD_LENGTH = 99_999
NOT_BIBLIOGRAPHIC = (b"z", b"u", b"v", b"x", b"y")
# Kinds matched per record whatever the tag: the two tools name different fields for them.
RECORD_WIDE = {
    "character encoding",
    "record structure",
    "leader and directory",
    "record MARC::Record cannot read",
    "more than one 1XX",
}

LINT_SCRIPT = r"""
use strict;
no warnings;
use MARC::File::USMARC;
use MARC::Lint;
use Time::HiRes qw(time);
local $SIG{__WARN__} = sub {};
binmode STDOUT, ':utf8';
my $lint = MARC::Lint->new;
my $start = time;
my $file = MARC::File::USMARC->in($ARGV[0]) or die "cannot open $ARGV[0]";
my @out;
my $n = 0;
while (1) {
    my $record = eval { $file->next() };
    if ($@) { $n++; (my $e = $@) =~ s/\s+/ /g; push @out, "$n\tREAD\t$e"; next; }
    last unless $record;
    $n++;
    $lint->check_record($record);
    for my $w ($lint->warnings) { $w =~ s/\s+/ /g; push @out, "$n\tW\t$w"; }
}
my $seconds = time - $start;
print "$_\n" for @out;
printf "TIME\t%d\t%.6f\n", $n, $seconds;
"""

# MARC::Lint's messages, by kind. Order matters: the first match wins.
LINT_KINDS = [
    ("unknown tag", re.compile(r"Invalid tag|Unrecognized tag|not a valid tag", re.I)),
    ("field repeated", re.compile(r"Field is not repeatable")),
    ("subfield repeated", re.compile(r"Subfield _. is not repeatable")),
    ("subfield not defined", re.compile(r"Subfield _.? is not allowed")),
    ("subfields in a control field", re.compile(r"Subfields are not allowed in fields lower")),
    ("article and nonfiling indicator", re.compile(r"article")),
    ("indicator value", re.compile(r"Indicator \d|Non-filing indicator")),
    ("required field or subfield", re.compile(r"No 245|No subfield|First subfield must be")),
    ("more than one 1XX", re.compile(r"Only one 1XX")),
    ("ISBN/ISSN check digit", re.compile(r"checksum|wrong number of digits|invalid characters")),
    ("code list (041, 043)", re.compile(r"may be obsolete|is not valid|evenly divisible by 3")),
    (
        "punctuation",
        re.compile(r"Must end with|preceded by|square brackets|should not have a space|qualifier"),
    ),
]


def lint_kind(text: str) -> str:
    for kind, pattern in LINT_KINDS:
        if pattern.search(text):
            return kind
    return "other"


def our_kind(message: ValidationMessage) -> str:
    where, text, tag = message.where or "", message.message, message.tag
    if tag in ("LDR", "DIR") or "terminator" in text or "directory" in text.lower():
        return "leader and directory" if tag in ("LDR", "DIR") else "record structure"
    if "UTF-8" in text or "MARC-8" in text or "control character" in text:
        return "character encoding"
    if "is not defined in the MARC 21" in text or "is not a MARC 21 tag" in text:
        return "unknown tag"
    if tag == "245" and where == "ind2" and "is not valid" not in text:
        return "article and nonfiling indicator"
    if where.startswith("ind") and "indicators" not in text:
        return "indicator value"
    if "main entry (1XX)" in text:
        return "more than one 1XX"
    if (
        "required and missing" in text
        or "must have a subfield" in text
        or "must start with" in text
    ):
        return "required field or subfield"
    if "may not contain subfield codes" in text:
        return "subfields in a control field"
    if where.startswith("$") and "not repeatable" in text:
        return "subfield repeated"
    if where == "$6" or "880" in text:
        return "880 linkage"
    if where.startswith("$") and "says the source is given" in text:
        return "indicator needs a source subfield"
    if where.startswith("$") and ("is not defined" in text or "obsolete" in text):
        return "subfield not defined"
    if where.startswith("$"):
        return "subfield content"
    if "not repeatable" in text:
        return "field repeated"
    if "obsolete in MARC 21" in text:
        return "obsolete field"
    if where.startswith("position") or where == "length" or tag in ("005", "006", "007", "008"):
        return "fixed-field codes (leader, 006, 007, 008)"
    return "other"


def run_lint(path: Path) -> tuple[dict[int, list[str]], dict[int, str], float, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".pl", delete=False) as script:
        script.write(LINT_SCRIPT)
    done = subprocess.run(
        ["perl", script.name, str(path)], capture_output=True, text=True, check=True
    )
    Path(script.name).unlink()
    warnings: dict[int, list[str]] = collections.defaultdict(list)
    unreadable: dict[int, str] = {}
    seconds, count = 0.0, 0
    for line in done.stdout.splitlines():
        parts = line.split("\t", 2)
        if parts[0] == "TIME":
            count, seconds = int(parts[1]), float(parts[2])
        elif len(parts) == 3 and parts[1] == "W":
            warnings[int(parts[0])].append(parts[2])
        elif len(parts) == 3 and parts[1] == "READ":
            unreadable[int(parts[0])] = parts[2]
    return warnings, unreadable, seconds, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2, help="examples shown per kind and side")
    parser.add_argument("--details", action="store_true", help="list every difference")
    args = parser.parse_args()
    if shutil.which("perl") is None:
        raise SystemExit("perl is needed: apt-get install libmarc-lint-perl")
    check = subprocess.run(
        ["perl", "-MMARC::Lint", "-e", "print $MARC::Lint::VERSION"],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        raise SystemExit("MARC::Lint is not installed: apt-get install libmarc-lint-perl")

    records = [r if r.endswith(b"\x1d") else r + b"\x1d" for r in corpus_records()]
    records = [r for r in records if r[6:7] not in NOT_BIBLIOGRAPHIC]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bibliographic.mrc"
        path.write_bytes(b"".join(records))
        lint_warnings, lint_unreadable, _, read_by_lint = run_lint(path)

        # Timing: the same records for both, each tool reading the same file.
        timed = [r for r in records if len(r) <= MAX_RECORD_LENGTH]
        timed_path = Path(folder) / "timed.mrc"
        timed_path.write_bytes(b"".join(timed))
        _, _, lint_seconds, lint_count = run_lint(timed_path)
        format_rules("bib")
        marc8_problem(b"\x1b(N")  # tables are loaded once per session: not timed
        start = time.perf_counter()
        our_count = 0
        for item in read_records(timed_path):
            our_count += 1
            if isinstance(item, RecordRead):
                validate_record(item.raw, "full", "bib", parsed=item.parsed)
        our_seconds = time.perf_counter() - start
    ours = [validate_record(raw, "full", "bib") for raw in records]

    both: collections.Counter[str] = collections.Counter()
    lint_only: collections.Counter[str] = collections.Counter()
    ours_only: collections.Counter[str] = collections.Counter()
    examples: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    flagged_lint = flagged_ours = flagged_both = 0
    details: list[tuple[int, str, str, str]] = []  # for --details
    for number, result in enumerate(ours, 1):
        theirs: dict[tuple[str, str], str] = {}
        for text in lint_warnings.get(number, []):
            kind = lint_kind(text)
            tag = "*" if kind in RECORD_WIDE else text[:3]
            theirs.setdefault((tag, kind), text)
        if number in lint_unreadable:
            reason = lint_unreadable[number]
            kind = (
                "character encoding" if "Unicode" in reason else "record MARC::Record cannot read"
            )
            theirs[("*", kind)] = reason[:120]
        mine: dict[tuple[str, str], str] = {}
        for message in result.messages:
            kind = our_kind(message)
            tag = "*" if kind in RECORD_WIDE else message.tag
            mine.setdefault((tag, kind), message.message)
        flagged_lint += bool(theirs)
        flagged_ours += bool(mine)
        flagged_both += bool(theirs) and bool(mine)
        for key in set(theirs) | set(mine):
            kind = key[1]
            if key in theirs and key in mine:
                both[kind] += 1
            elif key in theirs:
                lint_only[kind] += 1
                details.append((number, kind, "MARC::Lint", theirs[key]))
                if len(examples[(kind, "lint")]) < args.examples:
                    examples[(kind, "lint")].append(f"record {number}: {theirs[key]}")
            else:
                ours_only[kind] += 1
                details.append((number, kind, "ExportDesk", mine[key]))
                if len(examples[(kind, "ours")]) < args.examples:
                    examples[(kind, "ours")].append(f"record {number}: {mine[key][:160]}")

    print(
        f"{len(records):,} bibliographic records of the corpus (MARC::Lint read {read_by_lint:,})"
    )
    print(
        f"records with findings: MARC::Lint {flagged_lint:,}, ExportDesk {flagged_ours:,},"
        f" both {flagged_both:,}"
    )
    print("\nfindings per record, tag and kind:  both / only MARC::Lint / only ExportDesk")
    kinds = sorted(
        set(both) | set(lint_only) | set(ours_only),
        key=lambda k: -(both[k] + lint_only[k] + ours_only[k]),
    )
    for kind in kinds:
        print(f"  {kind:45s} {both[kind]:6,} {lint_only[kind]:6,} {ours_only[kind]:6,}")
        for side, label in (("lint", "MARC::Lint only"), ("ours", "ExportDesk only")):
            for example in examples.get((kind, side), []):
                print(f"      {label}: {example}")
    if args.details:
        print("\nevery difference (record, kind, found only by, message):")
        for number, kind, side, text in details:
            print(f"  {number}\t{kind}\t{side}\t{text[:200]}")
    lint_rate = lint_count / lint_seconds if lint_seconds else float("inf")
    our_rate = our_count / our_seconds
    print(
        f"\ntime on the same {len(timed):,} records (those up to 99,999 bytes), each tool"
        " reading the same file and checking (no start-up):"
    )
    print(f"  MARC::Lint  {lint_seconds:8.3f} s  {lint_rate:>10,.0f} records/s")
    print(f"  ExportDesk  {our_seconds:8.3f} s  {our_rate:>10,.0f} records/s  (level full)")
    print(f"  ratio ExportDesk time / MARC::Lint time = {our_seconds / lint_seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
