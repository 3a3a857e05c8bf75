"""One run against a real Secret Service: gnome-keyring inside its own D-Bus session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.fixtures.system import require_programs

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT = "100-123-456"
PASSWORD = "Real-Keyring-Pa55"

PROBE = textwrap.dedent(
    f"""
    import io, json, sys
    import keyring
    import keyring.backends.SecretService
    from app.core.settings.secrets import keyring_description
    from app.main import main

    # keyring offers its chainer, with keyrings.alt's plain-file backend behind the Secret
    # Service (the test extra installs keyrings.alt): ExportDesk must use the Secret Service
    # itself, and the plain file must never be asked.
    chosen = keyring.get_keyring()
    results = {{
        "offered": sorted(
            f"{{type(b).__module__}}.{{type(b).__name__}}"
            for b in getattr(chosen, "backends", [chosen])
        ),
        "backend": keyring_description(),
    }}
    secret_service = keyring.backends.SecretService.Keyring()
    main(["account", "add", "{ACCOUNT}"])
    sys.stdin = io.StringIO("{PASSWORD}\\n")
    results["set"] = main(["password", "set", "--account", "{ACCOUNT}"])
    results["in_keyring"] = (
        secret_service.get_password("exportdesk", "{ACCOUNT}/default") == "{PASSWORD}"
    )
    out = io.StringIO(); sys.stdout = out
    main(["options", "show", "--account", "{ACCOUNT}", "--json"])
    sys.stdout = sys.__stdout__
    results["stored"] = json.loads(out.getvalue())["password_stored"]
    results["forget"] = main(["password", "forget", "--account", "{ACCOUNT}"])
    results["gone"] = secret_service.get_password("exportdesk", "{ACCOUNT}/default") is None
    print("RESULT " + json.dumps(results))
    """
)


def test_a_password_round_trips_through_gnome_keyring(tmp_path: Path) -> None:
    require_programs(("dbus-run-session", "dbus"), ("gnome-keyring-daemon", "gnome-keyring"))
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DBUS_", "PYTHON_KEYRING", "KEYRING"))
    }
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_RUNTIME_DIR=str(tmp_path / "run"),
        PYTHONPATH=str(ROOT),
    )
    (tmp_path / "run").mkdir(mode=0o700)
    command = (
        "printf %s keyring-unlock | gnome-keyring-daemon --unlock --components=secrets "
        f">/dev/null 2>&1; exec '{sys.executable}' '{probe}'"
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"the probe printed no result; stderr: {done.stderr[-2000:]}"
    results = json.loads(lines[0].removeprefix("RESULT "))
    assert "keyrings.alt.file.PlaintextKeyring" in results.pop("offered")
    assert results == {
        "backend": "your desktop's keyring (Secret Service)",
        "set": 0,
        "in_keyring": True,
        "stored": True,
        "forget": 0,
        "gone": True,
    }
    assert PASSWORD not in done.stdout + done.stderr
    # Nowhere in this home (settings, data, keyrings.alt's python_keyring/ folder...) but in
    # gnome-keyring's own encrypted file.
    assert not (tmp_path / "data" / "python_keyring").exists()
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != probe:
            assert PASSWORD.encode() not in path.read_bytes(), path
