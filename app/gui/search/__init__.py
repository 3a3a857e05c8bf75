"""The search panel: records from WorldCat and library catalogues (docs/sources.md)."""

from app.gui.search.panel import SearchPanel

__all__ = ["SearchPanel"]
