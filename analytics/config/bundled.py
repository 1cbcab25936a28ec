"""Where the bundled data (playbooks, demo inputs) is found, installed or in a checkout.

In a wheel, ``data/`` is shipped as ``analytics/data`` (hatch force-include); in a checkout or an
editable install it is the ``data/`` folder beside the package.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent.parent  # analytics/


def data_dir() -> Path:
    for candidate in (_PKG / "data", _PKG.parent / "data"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"Lokifi's bundled data folder is missing (looked in {_PKG / 'data'} and {_PKG.parent / 'data'}); "
        "reinstall the package"
    )


def data_file(name: str) -> Path:
    return data_dir() / name
