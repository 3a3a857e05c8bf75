"""The formats and character sets an export can write, and their file extensions: plain
names that the settings, the paths and the writers share without loading the writers."""

from __future__ import annotations

from app.core.errors import OptionError

FORMATS = ("marc", "marcxml", "dc-rdf", "dc-html")
CHARSETS = ("utf8", "marc8")
FILE_EXTENSIONS = {"marc": ".mrc", "marcxml": ".xml", "dc-rdf": ".rdf", "dc-html": ".html"}


def check_format(fmt: str) -> None:
    """Raise OptionError("format") unless ``fmt`` is a format records can be written in."""
    if fmt == "none":
        raise OptionError(
            "format", "no export format is chosen: choose marc, marcxml, dc-rdf or dc-html"
        )
    if fmt not in FORMATS:
        raise OptionError("format", f"'{fmt}' is not a format; choose one of {', '.join(FORMATS)}")


def check_charset(charset: str) -> None:
    if charset not in CHARSETS:
        raise OptionError(
            "charset", f"'{charset}' is not a character set; choose {' or '.join(CHARSETS)}"
        )
