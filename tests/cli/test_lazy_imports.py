"""The command line loads what a command needs, no more (issue 16): ``--version`` loads no
command module, no keyring, no MARC-8 tables and none of the window; ``validate`` loads its own
module only; and every command is in app.cli.COMMANDS, so that it loads alone too."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from importlib import import_module

from app.cli import COMMAND_MODULES, COMMANDS, command_modules

PROBE = """
import json, sys
from app.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
from app.core.marc import marc8
loaded = {
    "keyring": "keyring" in sys.modules,
    "gui": any(name.startswith(("app.gui", "PySide6")) for name in sys.modules),
    "cli": sorted(n for n in sys.modules if n.startswith("app.cli.")),
    "marc8_tables": bool(marc8._REVERSE),
}
print(json.dumps(loaded), file=sys.stderr)
"""


def loaded_by(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    return result


def test_every_command_is_listed_with_its_module() -> None:
    for name in COMMAND_MODULES:
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers()
        import_module(name).register(subparsers)
        for command in subparsers.choices:
            assert COMMANDS.get(command) == name, (command, name)


def test_modules_for_a_command_line() -> None:
    assert command_modules(["validate", "--json", "x.mrc"]) == ("app.cli.validate",)
    assert command_modules(["--version"]) == ()
    assert command_modules([]) == ()
    assert command_modules(["--help"]) == COMMAND_MODULES
    assert command_modules(["no-such-command"]) == COMMAND_MODULES


def test_version_loads_nothing_heavy() -> None:
    loaded = loaded_by("--version")
    assert loaded == {"keyring": False, "gui": False, "cli": [], "marc8_tables": False}


def test_validate_loads_its_module_only(tmp_path, test_data) -> None:
    loaded = loaded_by("validate", "--json", str(test_data / "loc-authority-utf8.mrc"))
    assert loaded["cli"] == ["app.cli.validate"]
    assert loaded["keyring"] is False
    assert loaded["gui"] is False
