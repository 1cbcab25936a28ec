"""The log files in a directory, for ``patterns scan /var/log``: every readable text file under it.

Walked without following symbolic links (a link is read where it points, if that is given too); files
are taken in name order, compressed rotations included (their content is read decompressed). Left out,
and counted in a note: empty files, files this user cannot read, and binary files -- the first 4 KiB
(decompressed) hold a NUL byte or mostly bytes that are not UTF-8 (``wtmp``, ``lastlog``, the systemd
journal's own files).
"""

from __future__ import annotations

import os
import stat

SNIFF_BYTES = 4096
#: a file is text when at least this share of its first bytes decode as UTF-8 (a few bad bytes in a log
#: are a log with a few bad bytes)
TEXT_SHARE = 0.9


def log_files_under(top: str) -> tuple[list[str], list[str]]:
    """(the text files under directory ``top`` in name order, notes on what was left out and why)."""
    files: list[str] = []
    empty, unreadable, binary = [], [], []
    for root, dirs, names in os.walk(top, onerror=lambda e: unreadable.append(e.filename or top)):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            try:
                st = os.lstat(path)
            except OSError:
                unreadable.append(path)
                continue
            if not stat.S_ISREG(st.st_mode):
                continue  # links, sockets, FIFOs: not walked into
            if st.st_size == 0:
                empty.append(path)
                continue
            kind = _sniff(path)
            if kind == "text":
                files.append(path)
            elif kind == "binary":
                binary.append(path)
            else:
                unreadable.append(path)
    notes = []
    if binary:
        journal = any(p.endswith((".journal", ".journal~")) for p in binary)
        hint = "; the systemd journal reads as text with: journalctl -o short-iso | lokifi patterns scan -"
        notes.append(f"{top}: {len(binary)} binary file(s) left out ({_some(binary, top)}){hint if journal else ''}")
    if unreadable:
        notes.append(
            f"{top}: {len(unreadable)} file(s) this user cannot read left out ({_some(unreadable, top)}); "
            "run as a user who can read them"
        )
    if empty:
        notes.append(f"{top}: {len(empty)} empty file(s)")
    if not files:
        notes.append(f"{top}: no text log files under it")
    return files, notes


def _sniff(path: str) -> str:
    """``text`` | ``binary`` | ``unreadable``, from the first bytes of the content (decompressed)."""
    from analytics.common.compression import CompressionError, codec_of_head, decompressing

    try:
        with open(path, "rb") as raw:
            head = raw.read(SNIFF_BYTES)
            codec = codec_of_head(head)
            if codec:
                raw.seek(0)
                with decompressing(raw, codec, path) as f:
                    head = f.read(SNIFF_BYTES)
    except PermissionError:
        return "unreadable"
    except (OSError, CompressionError):
        return "binary"  # damaged compressed data, or a file that vanished: nothing to read as text
    if b"\x00" in head:
        return "binary"
    text = head.decode("utf-8", errors="replace")
    cut = text[:-3]  # a multi-byte character cut at the sniff's end is not a bad byte
    return "text" if cut.count("\ufffd") <= (1 - TEXT_SHARE) * max(1, len(cut)) else "binary"


def _some(paths: list[str], top: str, n: int = 3) -> str:
    names = [os.path.relpath(p, top) for p in paths[:n]]
    return ", ".join(names) + (", ..." if len(paths) > n else "")
