"""Constant data: named templates of fields an account adds to records (a 949 for the local
system's import profile, a local 590), kept in the account's save file.

    add_template(save_file, "alma-949", text)     # text: field lines of the mnemonic form
    templates(save_file)                          # the account's, by name
    apply_template(save_file, ids, template)      # to records of the save file, never twice

A template's fields are kept as text (one ``=TAG  ...`` line each) and written into each
record in its own encoding and normalization; a field already in the record with the same tag
and content is not added again (app.core.marc.mrk.add_fields). Templates the institution file
provides are read by app.core.settings.institution_templates; the two meet in
app.core.export.constant_data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from app.core.errors import UsageError
from app.core.marc.iso2709 import build_record, parse_record
from app.core.marc.mrk import TextError, TextField, add_fields, parse_fields
from app.core.marc.record import StructureError
from app.core.store.history import WAIT_SECONDS, save_record
from app.core.store.records import RecordNotFound
from app.core.store.rows import named_rows, now, time_text
from app.core.store.savefile import SaveFile

TemplateOrigin = Literal["account", "institution"]
MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class Template:
    """A named list of fields, as text lines (``fields``) and read (``text_fields``)."""

    name: str
    text: str
    origin: TemplateOrigin = "account"
    text_fields: tuple[TextField, ...] = field(default=(), compare=False)

    @classmethod
    def from_text(cls, name: str, text: str, origin: TemplateOrigin = "account") -> Template:
        """A template from field lines; UsageError for a bad name, TextError for bad lines."""
        name = name.strip()
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise UsageError(
                f"a template's name must be 1 to {MAX_NAME} printable characters: {name!r}"
            )
        fields, errors = parse_fields(text)
        if errors:
            raise TextError(errors)
        if not fields:
            raise UsageError(f"template '{name}' has no fields: give lines such as =949  \\\\$a…")
        lines = "\n".join(f.line() for f in fields) + "\n"
        return cls(name, lines, origin, tuple(fields))

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "origin": self.origin,
            "fields": self.text.splitlines(),
        }


def templates(save_file: SaveFile) -> list[Template]:
    """The account's templates, by name (ignoring case)."""
    rows = named_rows(
        save_file.conn, "SELECT name, fields FROM templates ORDER BY name COLLATE NOCASE"
    )
    found = []
    for row in rows:
        try:
            found.append(Template.from_text(row["name"], row["fields"]))
        except (UsageError, TextError):  # pragma: no cover - stored only after this check
            continue
    return found


def get_template(save_file: SaveFile, name: str) -> Template | None:
    row = named_rows(
        save_file.conn, "SELECT name, fields FROM templates WHERE name = ?", (name.strip(),)
    ).fetchone()
    return None if row is None else Template.from_text(row["name"], row["fields"])


def add_template(save_file: SaveFile, template: Template, *, replace: bool = False) -> None:
    """Keep a template under its name; UsageError when the name is taken (unless
    ``replace``)."""
    with save_file.transaction():
        if get_template(save_file, template.name) is not None and not replace:
            raise UsageError(
                f"a template named '{template.name}' exists already; remove it first, or replace it"
            )
        save_file.conn.execute(
            "INSERT INTO templates (name, fields, added_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET fields = excluded.fields, name = excluded.name",
            (template.name, template.text, time_text(now())),
        )


def remove_template(save_file: SaveFile, name: str) -> bool:
    """Forget a template; False when the account has none of that name."""
    with save_file.transaction():
        cursor = save_file.conn.execute("DELETE FROM templates WHERE name = ?", (name.strip(),))
    return cursor.rowcount > 0


def with_template(raw: bytes, template: Template) -> bytes | None:
    """The record's bytes with the template's fields added, or None when it has them all.
    Raises StructureError for bytes that are not a record."""
    parsed = parse_record(raw)
    changed, added = add_fields(parsed, template.text_fields)
    return build_record(changed.leader, changed.fields) if added else None


@dataclass
class ApplyResult:
    changed: list[int] = field(default_factory=list)  # the template's fields were added
    unchanged: list[int] = field(default_factory=list)  # they had every field already
    unreadable: list[int] = field(default_factory=list)  # not a record: left as it was

    def to_json(self) -> dict[str, list[int]]:
        return {
            "changed": self.changed,
            "unchanged": self.unchanged,
            "unreadable": self.unreadable,
        }


def apply_template(
    save_file: SaveFile,
    record_ids: Iterable[int],
    template: Template,
    *,
    wait: float = WAIT_SECONDS,
) -> ApplyResult:
    """Add the template's fields to each record (a revision each, source ``template``).
    Raises RecordNotFound, changing nothing, when an id is not in the save file."""
    ids = list(dict.fromkeys(record_ids))
    missing = save_file.missing(ids)
    if missing:
        raise RecordNotFound(missing)
    result = ApplyResult()
    for record_id in ids:
        try:
            raw = with_template(save_file.get_raw(record_id), template)
        except StructureError:
            result.unreadable.append(record_id)
            continue
        if raw is not None and save_record(save_file, record_id, raw, "template", wait=wait):
            result.changed.append(record_id)
        else:
            result.unchanged.append(record_id)
    return result
