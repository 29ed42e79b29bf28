"""Logging set-up, with every secret taken out of every line.

The webhook secret travels in URL paths, so anything that logs a URL could
leak it; the formatter replaces each known secret after the line is complete,
tracebacks included.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

REDACTED = "<secret>"
_HOOK_PATH = re.compile(r"/hooks/[^/?#\s]+")


def redact_path(path: str) -> str:
    """A URL path with the secret segment of ``/hooks/<secret>/…`` replaced."""
    return _HOOK_PATH.sub("/hooks/" + REDACTED, path)


class Redactor:
    """The set of strings that must never reach a log line."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 8:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class RedactingFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


def setup_logging(
    redactor: Redactor, level: str | int = "INFO", log_file: Path | None = None, timestamps: bool = True
) -> None:
    """Log to stderr and, for the GUI, to a rotating file; replaces earlier handlers.

    One-shot commands log without timestamps, like any other command-line tool.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
            )
        )
    fmt = (
        "%(asctime)s %(levelname)s %(name)s: %(message)s"
        if timestamps
        else "intulse-desktop: %(levelname)s: %(message)s"
    )
    formatter = RedactingFormatter(redactor, fmt)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
