"""Lokifi's headless engine: store, sources, patterns, detection, forecasting, recommendations.

Nothing in this package imports textual, rich or lokifi_tui (tests/unit/test_import_hygiene.py).
"""

__version__ = "0.1.0"
