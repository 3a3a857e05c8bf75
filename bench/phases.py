"""Benchmarks that measure each phase in a fresh process (so one phase's memory and caches
don't colour the next): run a phase of a script, read the JSON line it prints last."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_mb() -> float:
    """This process's peak resident memory, in MB."""
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / (1024 * 1024)


def run_phase(script: str, *args: str) -> dict[str, float]:
    """``python SCRIPT --phase ARGS...`` in a new process; the figures it printed last."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")])}
    done = subprocess.run(
        [sys.executable, script, "--phase", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
