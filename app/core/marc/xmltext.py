"""Text for XML 1.0 documents: escaping, and what to do with characters XML can't hold.

XML 1.0 has no way at all to carry most C0 control characters (not even as character
references) nor lone surrogates. In element text they are written in MARC 21's lossless form
``&#xXXXX;`` (as literal text, so the document stays well formed) and reported; where a
single character is required (indicators, subfield codes, the leader) such a character makes
the record impossible to write, which the caller reports as an error.
"""

from __future__ import annotations

import re

from app.core.marc.encoding_report import ReplacedCharacter, numeric_reference

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Carriage returns and tabs are escaped so parsers don't turn them into plain line ends.
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_ATTRIBUTE_ESCAPES = {**_TEXT_ESCAPES, '"': "&quot;", "\n": "&#10;", "\t": "&#9;"}
_TEXT_SPECIAL = re.compile("[&<>\r]")
_ATTRIBUTE_SPECIAL = re.compile('[&<>\r"\n\t]')


def is_xml_safe(text: str) -> bool:
    return _NOT_XML.search(text) is None


def replace_unsafe(text: str, tag: str, code: str, replaced: list[ReplacedCharacter]) -> str:
    """``text`` with the characters XML can't hold written as ``&#xXXXX;`` (and noted)."""
    if _NOT_XML.search(text):
        replaced.extend(ReplacedCharacter(tag, code, char) for char in _NOT_XML.findall(text))
        text = _NOT_XML.sub(lambda match: numeric_reference(match.group()), text)
    return text


def xml_text(text: str, tag: str, code: str, replaced: list[ReplacedCharacter]) -> str:
    """``text`` escaped for element content; characters XML can't hold become ``&#xXXXX;``."""
    text = replace_unsafe(text, tag, code, replaced)
    return _TEXT_SPECIAL.sub(lambda match: _TEXT_ESCAPES[match.group()], text)


def xml_attribute(text: str) -> str:
    """``text`` escaped for a double-quoted attribute; the caller has checked is_xml_safe."""
    return _ATTRIBUTE_SPECIAL.sub(lambda match: _ATTRIBUTE_ESCAPES[match.group()], text)
