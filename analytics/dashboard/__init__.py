"""The dashboard's read model: what one refresh shows, the last known state for the next start, and status reads."""

#: The dashboard's panes and their titles, in order: the one home of these names (the TUI shows them).
#: Here, in a module that imports nothing, so the dashboard's first frame can show them without the read model.
PANE_TITLES = {
    "predictions": "Predictions",
    "forecast": "Forecast",
    "recommendations": "Recommendations",
    "patterns": "Error patterns",
}
