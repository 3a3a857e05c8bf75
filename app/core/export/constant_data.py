"""Constant data templates as a run and a cataloger see them: the institution's (from the
institution file) and the account's own (in its save file; the same name hides the
institution's), and the one an export adds (the connection setting ``constant_data``)."""

from __future__ import annotations

from app.core.errors import OptionError, UsageError
from app.core.marc.mrk import TextError
from app.core.settings.files import add_notice
from app.core.settings.institution_templates import institution_templates
from app.core.store.savefile import SaveFile
from app.core.store.templates import Template, get_template, templates

SETTING = "constant_data"


def all_templates(save_file: SaveFile) -> list[Template]:
    """Every template the account can use, by name: its own, and the institution's it does
    not hide. An institution template that can't be read is left out with a notice."""
    own = templates(save_file)
    taken = {template.name.casefold() for template in own}
    found = list(own)
    for name, text in institution_templates():
        if name.casefold() in taken:
            continue
        try:
            found.append(Template.from_text(name, text, "institution"))
        except (UsageError, TextError) as problem:
            add_notice(f"The institution's template '{name}' can't be used: {problem.message}")
            continue
        taken.add(name.casefold())
    return sorted(found, key=lambda template: template.name.casefold())


def find_template(save_file: SaveFile, name: str) -> Template:
    """The template of that name (the account's first); UsageError naming those there are."""
    own = get_template(save_file, name)
    if own is not None:
        return own
    for template in all_templates(save_file):
        if template.name.casefold() == name.strip().casefold():
            return template
    known = ", ".join(t.name for t in all_templates(save_file)) or "none yet"
    raise UsageError(f"there is no constant data template named '{name}' (templates: {known})")


def export_template(save_file: SaveFile, name: str) -> Template | None:
    """The template an export adds (None when the setting is empty); OptionError for the
    setting when there is no such template, so nothing is sent without it."""
    if not name.strip():
        return None
    try:
        return find_template(save_file, name)
    except UsageError as problem:
        raise OptionError(SETTING, problem.message) from problem
