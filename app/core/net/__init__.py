"""The wire: Connexion TCP/IP requests and replies, the client that sends them and the
reference receiver. Imports only core's leaf modules (errors, paths, atomicfile, resources):
never the settings, the save file or the export run."""
