"""ExportDesk: send library records to a local system over Connexion TCP/IP, or to a file."""

import logging

__version__ = "0.1.0"
APP_NAME = "ExportDesk"

# The command line and the window show what a cataloger must know themselves (notices,
# errors); without a handler, Python would print every warning logged a second time.
logging.getLogger(__name__).addHandler(logging.NullHandler())
