"""Settings of the whole process, made once at start, before any file or socket is opened.

- Files private to the user: the call log, its WAL, the app's log and the hub's
  users would otherwise be created 0644, readable by every local user.
- Enough file descriptors: a macOS GUI app starts with 256, and each
  connection to the receiver takes one (``connections.py`` keeps below the limit).
"""

from __future__ import annotations

import logging
import os

try:
    import resource
except ImportError:  # Windows: no descriptor limit to raise
    resource = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
FD_TARGET = 8192  # descriptors wanted: enough for connections.MAX_CONNECTIONS and the rest


def prepare_process() -> None:
    """Files private to this user, and as many descriptors as the receiver may need."""
    os.umask(PRIVATE_UMASK)
    raise_fd_limit()


def fd_limit() -> int | None:
    """The soft limit on open descriptors, or None where there is none to read."""
    if resource is None:
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def raise_fd_limit(target: int = FD_TARGET) -> int | None:
    """Raise the soft descriptor limit toward ``target``, as far as the hard limit allows."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = target if hard == resource.RLIM_INFINITY else min(target, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as exc:  # macOS refuses more than kern.maxfilesperproc
            log.debug("could not raise the descriptor limit from %d to %d: %s", soft, wanted, exc)
    return fd_limit()
