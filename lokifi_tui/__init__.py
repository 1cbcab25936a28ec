"""Lokifi's faces: the Textual dashboard and the command line."""

__version__ = "0.1.0"
