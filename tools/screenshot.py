"""Render the Export Options screen offscreen into docs/images/export-options.png.

Run: .venv/bin/python tools/screenshot.py  (uses a throw-away home folder).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images" / "export-options.png"


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="exportdesk-shot-"))
    os.environ.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_DOCUMENTS_DIR="/home/cataloger/Documents",  # only shown, never written
        EXPORTDESK_INSTITUTION_FILE=str(home / "institution.json"),
    )
    (home / "institution.json").write_text(
        json.dumps(
            {
                "format_version": 1,
                "options": {"format": "marc", "destination": "tcpip", "validate_auth": "none"},
                "connections": [
                    {
                        "name": "CARLI Network Zone",
                        "options": {
                            "host": "i-share-network.alma.exlibrisgroup.com",
                            "logon_id": "01CARLI_NETWORK",
                        },
                    },
                    {"name": "Institution Zone", "options": {"host": "iz.example.edu"}},
                ],
            }
        )
    )
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.keyrings import MemoryKeyring, use_keyring

    class DesktopKeyring(MemoryKeyring):
        """Stands in for the Secret Service a Linux desktop has, without touching it."""

    DesktopKeyring.__module__ = "keyring.backends.SecretService"
    with use_keyring(DesktopKeyring()):
        return render(home)


def render(home: Path) -> int:
    from app.core.settings.account_settings import AccountSettings
    from app.gui.application import make_application
    from app.gui.main_window import MainWindow

    app = make_application()
    window = MainWindow(AccountSettings("100-123-456"))
    window.resize(960, 1480)
    window.show()
    window.show_export_options()
    page = window.options_page
    page.editors["fields_to_delete"].line.setText("029 9XX 938")
    page.editors["fields_to_delete"].edited.emit()
    app.processEvents()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
