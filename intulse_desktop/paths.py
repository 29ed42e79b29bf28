"""Every file location the app uses, decided in one place.

``--data-dir DIR`` or ``INTULSE_DESKTOP_HOME`` puts everything under one
folder, so tests, scripted roll-outs and a second instance never touch the
user's real files.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from intulse_desktop import APP_NAME

HOME_ENV = "INTULSE_DESKTOP_HOME"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    overridden: bool = False

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike[str] | None = None) -> Paths:
        """Paths from ``--data-dir``, else ``INTULSE_DESKTOP_HOME``, else the platform's."""
        base = data_dir or os.environ.get(HOME_ENV)
        if base:
            root = Path(base).expanduser().absolute()
            return cls(root, root, root / "cache", overridden=True)
        return cls(
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        )

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def secrets_file(self) -> Path:
        """Fallback secret storage where no keyring backend exists (mode 0600)."""
        return self.config_dir / "secrets.json"

    @property
    def database(self) -> Path:
        return self.data_dir / "calllog.sqlite3"

    @property
    def tunnel_file(self) -> Path:
        """The running app's tunnel and its address, for ``webhook-url`` (``tunnel/published.py``)."""
        return self.data_dir / "tunnel.json"

    @property
    def tunnel_registrations(self) -> Path:
        """Where this app registered its webhooks through a tunnel (``tunnel/registration.py``)."""
        return self.data_dir / "tunnel-registrations.json"

    @property
    def hub_users(self) -> Path:
        """An office hub's users and their token hashes (``hub/users.py``)."""
        return self.data_dir / "hub-users.sqlite3"

    @property
    def recordings_cache(self) -> Path:
        return self.cache_dir / "recordings"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "intulse-desktop.log"

    def ensure(self) -> Paths:
        """Create the folders, each private to this user (0700), an existing one included."""
        for folder in dict.fromkeys((self.config_dir, self.data_dir, self.cache_dir)):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            make_private(folder)
        return self


def make_private(folder: Path) -> None:
    """Take away other users' access to ``folder`` (POSIX), or say that it stays open to them."""
    if os.name != "posix":
        return
    try:
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & 0o077:
            folder.chmod(mode & 0o700)
    except OSError as exc:
        log.warning("%s stays readable by other users: %s", folder, exc.strerror or exc)
