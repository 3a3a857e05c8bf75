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
pymarc_loaded = "pymarc" in sys.modules  # before marc8 below loads it
from app.core.marc import marc8
loaded = {
    "keyring": "keyring" in sys.modules,
    "gui": any(name.startswith(("app.gui", "PySide6")) for name in sys.modules),
    "cli": sorted(n for n in sys.modules if n.startswith("app.cli.")),
    "marc8_tables": bool(marc8._REVERSE),
    "pymarc": pymarc_loaded,
    "settings": sorted(n for n in sys.modules if n.startswith("app.core.settings")),
    "readers": sorted(
        n for n in sys.modules if n in ("app.core.marc.marcxml", "app.core.marc.mnemonic")
    ),
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
    assert loaded["keyring"] is False
    assert loaded["gui"] is False
    assert loaded["cli"] == []
    assert loaded["marc8_tables"] is False


def test_validate_loads_its_module_only(tmp_path, test_data) -> None:
    loaded = loaded_by("validate", "--json", str(test_data / "loc-authority-utf8.mrc"))
    assert loaded["cli"] == ["app.cli.validate"]
    assert loaded["keyring"] is False
    assert loaded["gui"] is False
    # Validating UTF-8 ISO 2709 reads no settings (no institution file is put in force) and
    # needs neither pymarc nor the MARCXML and mnemonic readers.
    assert loaded["settings"] == []
    assert loaded["pymarc"] is False
    assert loaded["readers"] == []


def test_validate_loads_a_reader_when_the_file_needs_it(test_data) -> None:
    loaded = loaded_by("validate", "--json", str(test_data / "pymarc-batch.xml"))
    assert loaded["readers"] == ["app.core.marc.marcxml"]


def test_a_command_reading_settings_puts_a_fetched_institution_file_in_force() -> None:
    from app.cli import run_command

    calls: list[str] = []
    args = argparse.Namespace(func=lambda _: calls.append("ran") or 0)
    import app.core.settings.institution_url as institution_url

    original = institution_url.put_fetched_in_force
    institution_url.put_fetched_in_force = lambda: calls.append("fetched") or False  # type: ignore[assignment]
    try:
        assert run_command(args) == 0
        assert calls == ["fetched", "ran"]
        calls.clear()
        assert run_command(argparse.Namespace(func=args.func, reads_settings=False)) == 0
        assert calls == ["ran"]
    finally:
        institution_url.put_fetched_in_force = original
