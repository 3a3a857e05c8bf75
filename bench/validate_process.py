#!/usr/bin/env python3
"""Whole processes, start-up included: ``exportdesk validate --json FILE`` against pymarc
reading the same file by its fast path and against MARC::Lint checking it.

The files hold real records: the 386 Library of Congress records of
../shared/marc-corpus/mrrc-testbed/lc-bibliographic-sample.mrc, and those repeated to 10,000.
For each file the three commands take turns --rounds times (the order rotating), each a new
process timed from start to exit; each figure is the median of its rounds (this machine is
shared with other work: single runs vary by a third or more).

- pymarc: ``MARCReader(file, to_unicode=False)`` over the file, counting records (Python
  start-up and importing pymarc included);
- ExportDesk: ``python -m app validate --json FILE`` (level full, one JSON line per record to
  /dev/null);
- MARC::Lint (Debian's libmarc-lint-perl): MARC::File::USMARC reading the file and
  ``check_record`` on each record, warnings to /dev/null (Perl start-up included).

Goals (issue 16), on 10,000 records: ExportDesk at most 1.5x pymarc's time and at most 0.3x
MARC::Lint's; on the 386 records, faster than MARC::Lint.

    python bench/validate_process.py [--rounds N] [--records N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from marc_samples import CORPUS, split_records  # noqa: E402
from processes import timed  # noqa: E402

LOC_SAMPLE = CORPUS / "mrrc-testbed" / "lc-bibliographic-sample.mrc"

PYMARC = """
import sys, pymarc
count = 0
with open(sys.argv[1], "rb") as handle:
    for record in pymarc.MARCReader(handle, to_unicode=False):
        count += 1
print(count)
"""

LINT = r"""
use strict;
no warnings;
use MARC::File::USMARC;
use MARC::Lint;
local $SIG{__WARN__} = sub {};
my $lint = MARC::Lint->new;
my $file = MARC::File::USMARC->in($ARGV[0]) or die "cannot open $ARGV[0]";
my $n = 0;
while (1) {
    my $record = eval { $file->next() };
    if ($@) { $n++; next; }
    last unless $record;
    $n++;
    $lint->check_record($record);
    print "$n\t$_\n" for $lint->warnings;
}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    if shutil.which("perl") is None:
        raise SystemExit("perl is needed: apt-get install libmarc-lint-perl")
    sample = list(split_records(LOC_SAMPLE.read_bytes()))
    with tempfile.TemporaryDirectory(prefix="exportdesk-bench-") as folder:
        lint = Path(folder) / "lint.pl"
        lint.write_text(LINT)
        files = {len(sample): Path(folder) / "lc.mrc", args.records: Path(folder) / "lc-many.mrc"}
        files[len(sample)].write_bytes(b"".join(sample))
        files[args.records].write_bytes(
            b"".join(sample[n % len(sample)] for n in range(args.records))
        )
        for count, path in files.items():
            commands = {
                "pymarc": [sys.executable, "-c", PYMARC, str(path)],
                "ExportDesk": [sys.executable, "-m", "app", "validate", "--json", str(path)],
                "MARC::Lint": ["perl", str(lint), str(path)],
            }
            times: dict[str, list[float]] = {name: [] for name in commands}
            names = list(commands)
            for round_number in range(args.rounds):
                shift = round_number % len(names)
                for name in names[shift:] + names[:shift]:
                    times[name].append(timed(commands[name]))
            median = {name: statistics.median(values) for name, values in times.items()}
            print(f"{count:,} LoC records, whole processes, median of {args.rounds} rounds:")
            for name in names:
                low, high = min(times[name]), max(times[name])
                print(f"  {name:11} {median[name]:6.2f} s   ({low:.2f}-{high:.2f} s)")
            ours = median["ExportDesk"]
            print(
                f"  ratio ExportDesk / pymarc = {ours / median['pymarc']:.2f}   "
                f"ExportDesk / MARC::Lint = {ours / median['MARC::Lint']:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
