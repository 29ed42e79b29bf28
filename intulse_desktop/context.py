"""What every command and the tray app start from: the paths, the settings and the secrets.

The command line builds one ``Context`` from its arguments; the tray app and
``--headless`` are handed the same one. No Qt here.
"""

from __future__ import annotations

import argparse
import functools

from intulse_desktop import APP_NAME
from intulse_desktop.logs import Redactor
from intulse_desktop.paths import Paths
from intulse_desktop.secrets import HUB_TOKEN, SecretStore
from intulse_desktop.settings import Settings
from intulse_desktop.store import Store


class UsageError(Exception):
    """Bad usage or configuration: exit code 2."""


class Failed(Exception):
    """The command could not do its job (network, disk): exit code 1."""


class Context:
    """What every command needs, built from ``--data-dir`` and the settings file."""

    def __init__(self, args: argparse.Namespace, redactor: Redactor) -> None:
        self.args = args
        self.redactor = redactor
        self.paths = Paths.resolve(getattr(args, "data_dir", None))
        self.settings = Settings.load(self.paths.settings_file)

    @functools.cached_property
    def secrets(self) -> SecretStore:
        """Opened when a command needs it: finding the keyring takes a while."""
        return SecretStore(self.paths, self.redactor)

    def listen_address(self, host: str | None, port: int | None) -> tuple[str, int]:
        """Where to listen: the command line's choice, else the settings'."""
        return host or self.settings.listen_host, self.settings.listen_port if port is None else port

    def webhook_secret(self) -> str:
        return self.secrets.webhook_secret()

    def hub_connection(self) -> tuple[str, str]:
        """The office hub's URL and this desktop's token, for ``receive_from = hub``."""
        token = self.secrets.get(HUB_TOKEN)
        if not self.settings.hub_url or not token:
            raise UsageError(
                f"receive_from is hub, but there is no hub address or token: run `{APP_NAME} hub connect URL`"
            )
        return self.settings.hub_url, token

    def store(self) -> Store:
        return Store(self.paths.database, self.settings.default_region)
