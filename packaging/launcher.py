"""Entry script for the bundled app (PyInstaller): the same as the ``exportdesk`` command."""

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())
