"""Whose the database and its directory are: a database another user could read or swap is not opened.

The database holds raw log lines (read with rights other users lack), and what Lokifi checks beside it
before DuckDB opens it (:mod:`.planted`) is a check followed by an open: a user who can write the
directory can put a link or a WAL of theirs there in between. So a database is opened only when

* the file, if it exists, belongs to the user running Lokifi or to root (a database another user made at
  the chosen path is theirs to read, whatever its mode, and every line written into it with it);
* the directory it is in (and the one its link leads to) belongs to that user or root, and no other user
  can write it: not its group (unless the group is its owner's own, of that name and no other member),
  not everyone -- unless it is sticky (``/tmp``) and the kernel refuses there to follow another user's
  link or open another user's file or FIFO to create it (``fs.protected_symlinks``, ``protected_regular``,
  ``protected_fifos``, ``protected_hardlinks``), which closes that gap;
* every directory above them belongs to that user or root and is not writable by other users, or sticky
  (then none of them can rename what is in it).

The message says what was refused, where, and what makes it right.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from analytics.store.errors import StoreError

_PROTECTIONS = ("protected_symlinks", "protected_regular", "protected_fifos", "protected_hardlinks")
_SYSCTL = Path("/proc/sys/fs")


def _who(uid: int) -> str:
    try:
        import pwd

        return f"uid {uid} ({pwd.getpwuid(uid).pw_name})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _not_ours(uid: int, me: int) -> str:
    return f"belongs to {_who(uid)}, not to {_who(me)} who runs Lokifi" + (" or to root" if me != 0 else "")


def _own_group(st: os.stat_result) -> bool:
    """Whether ``st``'s group is its owner's alone: named as the owner and with no other member."""
    try:
        import grp
        import pwd

        owner = pwd.getpwuid(st.st_uid).pw_name
        group = grp.getgrgid(st.st_gid)
    except (ImportError, KeyError):
        return False
    return group.gr_name == owner and set(group.gr_mem) <= {owner}


def _protected(group_writable: bool) -> bool:
    """Whether the kernel refuses, in a sticky directory others write, to follow their links and to open
    their files and FIFOs for creating (a group-writable one needs level 2 of the last two)."""
    need = 2 if group_writable else 1
    for name in _PROTECTIONS:
        try:
            level = int((_SYSCTL / name).read_text().strip() or 0)
        except (OSError, ValueError):
            return False
        if level < (need if name in ("protected_regular", "protected_fifos") else 1):
            return False
    return True


def _others_write(st: os.stat_result) -> str:
    """Who besides the owner can write the directory ``st``: "" when nobody."""
    if st.st_mode & stat.S_IWOTH:
        return "every local user"
    if st.st_mode & stat.S_IWGRP and not _own_group(st):
        return "its group"
    return ""


def _check_dir(d: Path, holds_db: bool, db: Path) -> None:
    st = os.stat(d)
    me = os.geteuid()
    where = "the database's directory" if holds_db else f"{d}, above the database's directory,"
    if st.st_uid not in (me, 0):
        raise StoreError(
            f"{d}: {where} {_not_ours(st.st_uid, me)}: they can "
            f"put or swap files in it. Keep the database in a directory of yours (--db or LOKIFI_DB)."
        )
    who = _others_write(st)
    if not who:
        return
    sticky = bool(st.st_mode & stat.S_ISVTX)
    if sticky and (not holds_db or _protected(bool(st.st_mode & stat.S_IWGRP) and not st.st_mode & stat.S_IWOTH)):
        return
    mode = f"mode {stat.S_IMODE(st.st_mode):04o}"
    if sticky:
        why = (
            f"{where} is sticky but can be written by {who} ({mode}), and this kernel does not stop their links "
            f"and files there (sysctl fs.protected_*): they can put a WAL or a link beside {db.name} as it is "
            "opened. Keep the database in a directory of yours (--db or LOKIFI_DB), e.g. one made with `mkdir -m "
            "700`"
        )
    else:
        why = (
            f"{where} can be written by {who} ({mode}): they can put a WAL or a link beside {db.name}, or swap it, "
            f"as it is opened. `chmod go-w {d}` stops that (or keep the database elsewhere: --db or LOKIFI_DB)"
        )
    raise StoreError(f"{d}: {why}.")


def refuse_untrusted(db: Path) -> None:
    """Raise :class:`StoreError` when ``db`` or a directory it is in could be read or changed by another
    user than the one running Lokifi (or root), as the module's docstring says."""
    me = os.geteuid()
    try:
        st = os.stat(db)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise StoreError(f"{db}: cannot check who owns it ({exc.strerror or exc})") from None
    if st is not None and st.st_uid not in (me, 0):
        raise StoreError(
            f"{db}: the database {_not_ours(st.st_uid, me)}; "
            "they could read every log line written into it. If it is yours, `chown` it to you; to look into "
            "another user's database, run Lokifi as that user; otherwise choose another --db or LOKIFI_DB."
        )
    homes = {Path(os.path.realpath(db.absolute().parent)), Path(os.path.realpath(db.absolute())).parent}
    seen: set[Path] = set()
    for home in sorted(homes):
        for i, d in enumerate((home, *home.parents)):
            if d in seen:
                continue
            seen.add(d)
            try:
                _check_dir(d, i == 0, db)
            except FileNotFoundError:
                continue  # not made yet: what makes it makes it private (private.mkdir_private)
            except OSError as exc:
                raise StoreError(f"{d}: cannot check who can write it ({exc.strerror or exc})") from None


__all__ = ["refuse_untrusted"]
