"""The save file: the SQLite file of a cataloger's records, flags, statuses and journal, and
importing files into it. Imports marc/ and core's leaf modules; never the settings, the
wire or the export run."""
