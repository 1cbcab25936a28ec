"""Screens of the dashboard: the main dashboard, detail screens and modal dialogs."""
