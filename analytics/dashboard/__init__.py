"""The dashboard's read model: what one refresh shows, the last known state for the next start, and status reads."""
