"""Widgets and renderers of the dashboard (all data text goes through widgets.safe)."""
