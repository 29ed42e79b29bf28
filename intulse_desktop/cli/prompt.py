"""Secrets typed or piped in: never taken from argv, where other users' ``ps`` can see them."""

from __future__ import annotations

import getpass
import sys

from intulse_desktop.context import Context, UsageError


def read_secret(what: str) -> str:
    """A secret from a prompt that does not echo it, or from stdin when piped."""
    try:
        if sys.stdin.isatty():
            return getpass.getpass(f"{what} (not shown as you type): ")
        return sys.stdin.readline()
    except EOFError:
        return ""


def set_secret(ctx: Context, key: str, what: str, *, chars: str | None = None, empty: str = "") -> bool:
    """The ``set-password`` commands: store a typed or piped ``what`` under ``key``, or remove it with
    ``--clear``; True when one was stored. ``chars`` are stripped from its ends (None: whitespace)."""
    if ctx.args.clear:
        ctx.secrets.delete(key)
        print(f"the {what} is removed from {ctx.secrets.location}")
        return False
    secret = read_secret(what).strip(chars)
    if not secret:
        raise UsageError(f"no password given{empty}")
    ctx.secrets.set(key, secret)
    print(f"the {what} is stored in {ctx.secrets.location}")
    return True
