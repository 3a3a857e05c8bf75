"""Where ExportDesk keeps its files, by platform conventions (platformdirs).

On Linux ``XDG_CONFIG_HOME`` and ``XDG_DATA_HOME`` move the user folders. ``EXPORTDESK_HOME``
puts both in one folder on any platform (the demo and portable installs use it). The
institution file's location can be named with ``EXPORTDESK_INSTITUTION_FILE``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from app.core.marc.formats import FILE_EXTENSIONS, check_format

APP_DIR_NAME = "exportdesk"
INSTITUTION_FILE_ENV = "EXPORTDESK_INSTITUTION_FILE"
INSTITUTION_FILE_NAME = "institution.json"
HOME_ENV = "EXPORTDESK_HOME"
DEFAULT_FILE_STEM = "export"


def config_dir() -> Path:
    """The user's settings folder: one file per account, and the list of known accounts."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "config"
    return Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False))


def data_dir() -> Path:
    """The user's data folder: save files and export journals."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "data"
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))


def documents_dir() -> Path:
    return Path(platformdirs.user_documents_dir())


def default_export_path(fmt: str) -> Path:
    """``export`` plus the format's extension, in the user's documents folder: the export
    file when the settings name none (the settings show it, the export run writes it)."""
    check_format(fmt)
    return documents_dir() / f"{DEFAULT_FILE_STEM}{FILE_EXTENSIONS[fmt]}"


def institution_file() -> Path:
    """The institution defaults file an administrator provides (it may not exist)."""
    named = os.environ.get(INSTITUTION_FILE_ENV)
    if named:
        return Path(named)
    site = platformdirs.site_config_dir(APP_DIR_NAME, appauthor=False, multipath=False)
    return Path(site) / INSTITUTION_FILE_NAME


def account_slug(account: str) -> str:
    """A file-name-safe form of an authorization such as ``100-123-456``."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in account)
