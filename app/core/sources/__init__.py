"""Where records come from: WorldCat (the Metadata API, through bookops-worldcat) and SRU
servers (library catalogues). Searching gives hits; retrieving gives records (ISO 2709, as the
readers give them); WorldCat targets also set and unset the institution's holdings.

Imports marc/, settings/ (targets and their secrets) and core's leaf modules; never the save
file (the caller stores what it retrieves), the wire or the export run."""
