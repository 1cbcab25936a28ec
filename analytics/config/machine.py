"""This machine's host name: the name Lokifi files what it reads here under when ``[general] host`` is not
set."""

from __future__ import annotations

import os


def this_host() -> str:
    """The host name as gethostname(2) gives it, read through ``os.uname`` so that a command that only
    needs the name does not load the socket module (~7 ms of a cold start)."""
    try:
        return os.uname().nodename
    except AttributeError:  # a platform without uname
        import socket

        return socket.gethostname()
