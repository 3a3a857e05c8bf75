"""The plan of an export run: everything it needs to know, fixed when it starts (see run.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.errors import OptionError
from app.core.export.filedest import export_path
from app.core.marc.encode import FORMATS, check_format
from app.core.net.transport import TransportSettings
from app.core.settings.layers import ExportSettings
from app.core.settings.options import TCPIP_FORMAT_PROBLEM, TCPIP_FORMATS
from app.core.store.templates import Template

FILE_FORMATS = FORMATS  # what a file can hold; over TCP/IP only MARC


class FormatNeeded(OptionError):
    """The format setting is ``none``: the window asks, the command line needs --format."""

    def __init__(self) -> None:
        super().__init__(
            "format",
            "no export format is chosen (the setting is None, ask at export): choose marc, "
            "marcxml, dc-rdf or dc-html",
        )


@dataclass(frozen=True)
class ExportPlan:
    """Everything a run needs to know, fixed when it starts."""

    destination: str  # "tcpip" or "file"
    fmt: str  # never "none"
    charset: str
    fields_to_delete: tuple[str, ...]
    validate_bib: str
    validate_auth: str
    file_path: Path | None = None
    file_type: str = "individual"
    transport: TransportSettings | None = None
    connection_name: str = ""
    constant_data: str = ""  # a template's name (the connection's setting), or empty
    template: Template | None = None  # that template, once run_export has found it

    @property
    def destination_label(self) -> str:
        """How the journal and the report name the destination (never with a password)."""
        if self.transport is not None:
            where = f"{self.transport.host}:{self.transport.port}"
            return f"TCP/IP {self.connection_name} ({where})" if self.connection_name else where
        return f"file {self.file_path}"


def plan_export(
    settings: ExportSettings, *, fmt: str | None = None, password: str | None = None
) -> ExportPlan:
    """The plan for exporting with these (effective) settings.

    ``fmt`` is the format chosen at export time when the setting is ``none``. Over TCP/IP only
    MARC is sent, so the format is MARC there. Raises :class:`FormatNeeded` when a file export
    has no format, and OptionError for settings that can't work (no host...).
    """
    options = settings.options
    chosen = fmt or options["format"]
    common = {
        "charset": options["charset"],
        "fields_to_delete": tuple(options["fields_to_delete"]),
        "validate_bib": options["validate_bib"],
        "validate_auth": options["validate_auth"],
        "constant_data": str(settings.values_for().get("constant_data") or ""),
    }
    if options["destination"] == "tcpip":
        if chosen not in TCPIP_FORMATS:
            raise OptionError("format", TCPIP_FORMAT_PROBLEM)
        return ExportPlan(
            destination="tcpip",
            fmt="marc",
            transport=TransportSettings.from_options(settings.values_for(), password),
            connection_name=settings.active.name,
            **common,
        )
    if chosen == "none":
        raise FormatNeeded()
    check_format(chosen)
    return ExportPlan(
        destination="file",
        fmt=chosen,
        file_path=export_path(options["file_name"], chosen),
        file_type=options["file_type"],
        **common,
    )
