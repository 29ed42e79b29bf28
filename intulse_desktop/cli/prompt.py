"""Secrets typed or piped in: never taken from argv, where other users' ``ps`` can see them."""

from __future__ import annotations

import getpass
import sys


def read_secret(what: str) -> str:
    """A secret from a prompt that does not echo it, or from stdin when piped."""
    try:
        if sys.stdin.isatty():
            return getpass.getpass(f"{what} (not shown as you type): ")
        return sys.stdin.readline()
    except EOFError:
        return ""
