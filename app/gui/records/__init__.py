"""The records workspace: the list of the save file's records, the record pane, importing.

The main window embeds :class:`RecordsPage` and calls ``import_files`` from File > Import.
"""

from app.gui.records.page import RecordsPage

__all__ = ["RecordsPage"]
