"""Alerts, /metrics and notices: live predictions delivered to Alertmanager and the terminal, Lokifi's own
numbers for Prometheus."""
