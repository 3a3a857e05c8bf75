"""ExportDesk: send library records to a local system over Connexion TCP/IP, or to a file."""

__version__ = "0.1.0"
APP_NAME = "ExportDesk"
