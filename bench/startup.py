#!/usr/bin/env python3
"""Start-up of the command line: ``exportdesk --version`` and ``exportdesk validate`` on one
record, whole processes, against the bare interpreter (``python -c pass``, the baseline) in the
same run; and what ``--version`` loads (it should load no command module, no keyring, no MARC-8
tables and nothing of the window).

The three take turns --rounds times; each figure is the median (the machine may be shared).

    python bench/startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from marc_samples import CORPUS, split_records  # noqa: E402
from processes import timed  # noqa: E402

PROBE = """
import json, sys
from app.main import main
try:
    main(["--version"])
except SystemExit:
    pass
from app.core.marc import marc8
print(json.dumps({
    "keyring": "keyring" in sys.modules,
    "window (app.gui, PySide6)": any(n.startswith(("app.gui", "PySide6")) for n in sys.modules),
    "command modules": sorted(n for n in sys.modules if n.startswith("app.cli.")),
    "MARC-8 tables built": bool(marc8._REVERSE),
}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    sample = CORPUS / "mrrc-testbed" / "lc-bibliographic-sample.mrc"
    with tempfile.TemporaryDirectory(prefix="exportdesk-bench-") as folder:
        one = Path(folder) / "one.mrc"
        one.write_bytes(next(split_records(sample.read_bytes())))
        commands = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "exportdesk --version": [sys.executable, "-m", "app", "--version"],
            "exportdesk validate (1 record)": [sys.executable, "-m", "app", "validate", str(one)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        names = list(commands)
        for round_number in range(args.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(timed(commands[name]))
    median = {name: statistics.median(values) for name, values in times.items()}
    base = median[names[0]]
    print(f"whole processes, median of {args.rounds} rounds:")
    for name in names:
        print(f"  {name:32} {median[name] * 1000:6.0f} ms   {median[name] / base:5.2f}x baseline")
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    print("exportdesk --version loads: " + ", ".join(f"{k}: {v}" for k, v in loaded.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
