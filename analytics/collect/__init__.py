"""Live collection: the single-writer lock, the collector loop that runs the sources and refreshes the engines,
and backfill of a host's history."""
