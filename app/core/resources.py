"""Find files of the project's ``resources/`` folder, wherever the app runs from."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The resources folder: beside ``app/`` in a checkout, inside the package when installed,
    or in a PyInstaller bundle's data folder."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    package_dir = Path(__file__).resolve().parent.parent
    if (package_dir.parent / "pyproject.toml").is_file():
        return package_dir.parent / "resources"
    return package_dir / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
