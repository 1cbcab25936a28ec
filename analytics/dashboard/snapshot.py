"""The dashboard's last known state, kept on disk so the next start paints rows at once.

After each read the TUI saves the :class:`~analytics.dashboard.view.DashboardView` it shows; the next start
shows that view in its first frame (marked as the state at its time) while the store is read. The file is
JSON (never pickle: nothing in it can run code), written whole to a temporary file then renamed, readable
by its owner only (it holds what the store holds), one per database file under the cache directory.
Decoding accepts only the dashboard's own row types; a file that is unreadable, from another version or
hostile is ignored (``load`` returns None) and replaced at the next save.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT = 1


def _types() -> dict[str, type]:
    from analytics.dashboard import view as dv
    from analytics.dashboard.setup_state import Busy, SetupState

    return {
        t.__name__: t
        for t in (
            dv.DashboardView,
            dv.Pane,
            dv.LearningSummary,
            dv.PredictionRow,
            dv.ForecastRow,
            dv.RecommendationRow,
            dv.PatternRow,
            SetupState,
            Busy,
        )
    }


def snapshot_path(db_path: str | os.PathLike[str]) -> Path:
    """Where the snapshot of the database at ``db_path`` lives (one per absolute path)."""
    from analytics.config.paths import cache_dir

    key = hashlib.sha256(str(Path(db_path).expanduser().absolute()).encode()).hexdigest()[:16]
    return cache_dir() / "views" / f"{key}.json"


def _encode(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {"$t": type(obj).__name__, "v": out}
    if isinstance(obj, dt.datetime):
        return {"$dt": obj.isoformat()}
    if isinstance(obj, (list, tuple)):
        return [_encode(x) for x in obj]
    if isinstance(obj, dict):
        return {"$d": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"cannot keep a {type(obj).__name__} in a dashboard snapshot")


def _decode(obj: Any, types: dict[str, type]) -> Any:
    if isinstance(obj, list):
        return tuple(_decode(x, types) for x in obj)  # every sequence in a view is a tuple
    if isinstance(obj, dict):
        if "$dt" in obj:
            return dt.datetime.fromisoformat(obj["$dt"])
        if "$d" in obj:
            return {_decode(k, types): _decode(v, types) for k, v in obj["$d"]}
        cls = types[obj["$t"]]  # KeyError: not one of the view's types
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: _decode(v, types) for k, v in obj["v"].items() if k in names})
    return obj


def save(view: Any, db_path: str | os.PathLike[str], signature: Any = None) -> Path | None:
    """Write ``view`` (and the store's file signature it was read at) as the last known state of
    ``db_path``. Returns the file, or None when it could not be written (a full or read-only disk: the
    snapshot is a convenience, never an error)."""
    path = snapshot_path(db_path)
    try:
        body = json.dumps(
            {"format": FORMAT, "signature": _encode(signature), "view": _encode(view)}, separators=(",", ":")
        )
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".view-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:  # mkstemp: mode 0600
                fh.write(body)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except (OSError, TypeError, ValueError):
        return None
    return path


def load(db_path: str | os.PathLike[str]) -> tuple[Any, Any] | None:
    """(view, signature) last saved for ``db_path``, or None when there is none or it cannot be used."""
    path = snapshot_path(db_path)
    try:
        if path.stat().st_size > 16 * 1024 * 1024:
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            return None
        types = _types()
        view = _decode(doc["view"], types)
        if not isinstance(view, types["DashboardView"]):
            return None
        sig = doc.get("signature")
        return view, (tuple(sig) if isinstance(sig, list) else sig)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
