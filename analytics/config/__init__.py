"""Configuration: the typed view of lokifi.toml, the starter file `lokifi config init` writes, and where Lokifi
keeps its files."""
