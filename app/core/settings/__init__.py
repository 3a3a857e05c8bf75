"""Export settings: every option declared once, the layers (factory < institution < account <
session) and their files, accounts and the keyring. Imports marc/ and core's leaf modules;
never the export run, the wire or the save file."""
