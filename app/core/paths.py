"""Where ExportDesk keeps its files, by platform conventions (platformdirs).

On Linux ``XDG_CONFIG_HOME``, ``XDG_DATA_HOME`` and ``XDG_CACHE_HOME`` move the user folders.
``EXPORTDESK_HOME`` puts them in one folder on any platform (the demo and portable installs use
it). The institution file in force is, first found: the file ``EXPORTDESK_INSTITUTION_FILE``
names; the copy cached from the institution URL (``EXPORTDESK_INSTITUTION_URL``, or the URL
set for the machine in ``institution-url.json`` beside the site file); the site file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import platformdirs

from app.core.marc.formats import FILE_EXTENSIONS, check_format

APP_DIR_NAME = "exportdesk"
INSTITUTION_FILE_ENV = "EXPORTDESK_INSTITUTION_FILE"
INSTITUTION_FILE_NAME = "institution.json"
INSTITUTION_URL_ENV = "EXPORTDESK_INSTITUTION_URL"
INSTITUTION_URL_FILE_NAME = "institution-url.json"
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


def cache_dir() -> Path:
    """The user's cache folder: copies of files fetched from elsewhere (the institution file)."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "cache"
    return Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False))


def site_config_dir() -> Path:
    """The machine-wide settings folder an administrator writes (every user reads it)."""
    return Path(platformdirs.site_config_dir(APP_DIR_NAME, appauthor=False, multipath=False))


def site_institution_file() -> Path:
    return site_config_dir() / INSTITUTION_FILE_NAME


def institution_url_file() -> Path:
    """Where ``exportdesk institution set-url`` keeps the machine's institution URL."""
    return site_config_dir() / INSTITUTION_URL_FILE_NAME


def institution_url() -> tuple[str, str | None] | None:
    """(URL, CA file or None) of the institution file, when one is set: the environment
    variable first, then the machine's ``institution-url.json``. A file that can't be read
    counts as none here (``exportdesk institution show`` says what is wrong with it)."""
    named = os.environ.get(INSTITUTION_URL_ENV, "").strip()
    if named:
        return named, None
    try:
        data = json.loads(institution_url_file().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url.strip():
        return None
    ca_file = data.get("ca_file")
    return url.strip(), ca_file if isinstance(ca_file, str) and ca_file else None


def institution_cache_file(url: str) -> Path:
    """The cached copy of the file at ``url`` (one per URL: changing the URL never applies
    the copy fetched from another)."""
    import hashlib  # with the institution file, not with every command

    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return cache_dir() / "institution" / f"institution-{digest}.json"


def institution_file() -> Path:
    """The institution defaults file in force (it may not exist): see the module's doc."""
    named = os.environ.get(INSTITUTION_FILE_ENV)
    if named:
        return Path(named)
    configured = institution_url()
    if configured is not None:
        cached = institution_cache_file(configured[0])
        if cached.is_file():
            return cached
    return site_institution_file()


def account_slug(account: str) -> str:
    """A file-name-safe form of an authorization such as ``100-123-456``."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in account)
