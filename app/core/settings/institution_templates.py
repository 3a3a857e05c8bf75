"""Constant data templates the institution file provides to every account (read-only).

    "templates": [
        {"name": "alma-949", "fields": ["=949  \\\\$aLocal$b{dollar}12"]}
    ]

``fields`` is a list of lines in the mnemonic text form (or one string of them). A template
of the wrong shape is ignored with a notice; the lines themselves are read where the template
is used (app.core.export.constant_data), which reports bad ones.
"""

from __future__ import annotations

from app.core import paths
from app.core.settings.files import add_notice, load_json_file


def institution_templates() -> list[tuple[str, str]]:
    """(name, field lines) of each template in the institution file, in its order."""
    where = paths.institution_file()
    data = load_json_file(where, "institution defaults", set_aside=False)
    entries = (data or {}).get("templates") or []
    if not isinstance(entries, list):
        add_notice(f"In {where}: 'templates' should be a list; it is ignored.")
        return []
    found: list[tuple[str, str]] = []
    for number, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        lines = entry.get("fields") if isinstance(entry, dict) else None
        if isinstance(lines, list) and all(isinstance(line, str) for line in lines):
            lines = "\n".join(lines)
        if not isinstance(name, str) or not name.strip() or not isinstance(lines, str):
            add_notice(
                f"In {where}: templates[{number}] should have a 'name' and 'fields' (a list "
                "of lines such as =949  \\\\$a...); it is ignored."
            )
            continue
        found.append((name.strip(), lines))
    return found
