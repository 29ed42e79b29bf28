"""The parsers' argument types: each turns one command-line word into a checked value."""

from __future__ import annotations

import argparse

from intulse_desktop.events import INT64_MAX
from intulse_desktop.formatting import is_utf8

PATH_ARGUMENTS = {"data_dir", "certfile", "keyfile", "contacts_file"}  # a file name may be any bytes


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def int64(text: str) -> int:
    value = whole_number(text)
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise argparse.ArgumentTypeError(f"must be between {-INT64_MAX - 1} and {INT64_MAX}")
    return value


def positive(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    if value > INT64_MAX:
        raise argparse.ArgumentTypeError(f"must be at most {INT64_MAX}")
    return value


def not_text(args: argparse.Namespace) -> str | None:
    """The first argument holding bytes that are not UTF-8 (file names may be any bytes)."""
    for name, value in vars(args).items():
        if isinstance(value, str) and name not in PATH_ARGUMENTS and not is_utf8(value):
            return name
    return None
