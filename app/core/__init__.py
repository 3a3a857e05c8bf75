"""ExportDesk's core: everything the window and the command line share. Never imports Qt."""
