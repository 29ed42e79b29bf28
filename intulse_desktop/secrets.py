"""The webhook secret and the Intulse API key: in the OS keyring, never in settings.

Where no keyring backend exists (a server, CI, a minimal desktop) they go to a
file only the user can read, and the user is told so once, when it is made.
The backend is chosen once per process, so a keyring that fails later is an
error, not a silent switch to another storage (which would change the secret).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path

import keyring
import keyring.errors
from keyring.backends import fail

from intulse_desktop import APP_NAME
from intulse_desktop.atomic import write_atomic
from intulse_desktop.logs import Redactor
from intulse_desktop.paths import Paths

log = logging.getLogger(__name__)

WEBHOOK_SECRET = "webhook-secret"
API_KEY = "api-key"
HUB_TOKEN = "hub-token"  # this desktop's token for an office hub
BROKER_PASSWORD = "broker-password"  # a hub's NATS password (the broker_user setting)
CARDDAV_PASSWORD = "carddav-password"  # the app password of the CardDAV address book
API_KEY_ENV = "INTULSE_API_KEY"
SECRET_BYTES = 32  # 256 bits, URL-safe base64


class SecretsError(RuntimeError):
    """The secret storage cannot be used; the message says what to do."""


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def keyring_available() -> bool:
    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        log.warning("the system keyring cannot be loaded (%s: %s)", type(exc).__name__, exc)
        return False
    return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 1) > 0


class SecretStore:
    """Every secret read or written here is added to ``redactor``, so none can reach a log line."""

    def __init__(
        self, paths: Paths, redactor: Redactor | None = None, use_keyring: bool | None = None
    ) -> None:
        self.redactor = redactor if redactor is not None else Redactor()
        self._file = paths.secrets_file
        # A --data-dir instance keeps its own secrets apart from the user's real ones.
        self._suffix = f"@{paths.config_dir}" if paths.overridden else ""
        self._use_keyring = keyring_available() if use_keyring is None else use_keyring

    @property
    def location(self) -> str:
        return "the system keyring" if self._use_keyring else str(self._file)

    # --- named secrets -------------------------------------------------------------------

    def webhook_secret(self) -> str:
        """The secret in every webhook URL, made on first use."""
        value = self.get(WEBHOOK_SECRET)
        if not value:
            value = self.regenerate_webhook_secret()
        return value

    def regenerate_webhook_secret(self) -> str:
        value = new_webhook_secret()
        self.set(WEBHOOK_SECRET, value)
        return value

    def api_key(self) -> str | None:
        key = os.environ.get(API_KEY_ENV)
        if key:
            self.redactor.add(key)
            return key
        return self.get(API_KEY)

    def set_api_key(self, value: str | None) -> None:
        if value:
            self.set(API_KEY, value)
        else:
            self.delete(API_KEY)

    # --- storage -------------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        value = self._read(name)
        self.redactor.add(value)
        return value

    def _read(self, name: str) -> str | None:
        if self._use_keyring:
            try:
                return keyring.get_password(APP_NAME, name + self._suffix)
            except keyring.errors.KeyringError as exc:
                raise SecretsError(f"cannot read {name} from the system keyring: {exc}") from None
        return self._read_file().get(name)

    def set(self, name: str, value: str) -> None:
        self.redactor.add(value)
        if self._use_keyring:
            try:
                keyring.set_password(APP_NAME, name + self._suffix, value)
            except keyring.errors.KeyringError as exc:
                raise SecretsError(f"cannot store {name} in the system keyring: {exc}") from None
            return
        data = self._read_file()
        if not self._file.exists():
            log.warning(
                "no system keyring is available: keeping secrets in %s, readable only by you",
                self._file,
            )
        data[name] = value
        write_atomic(self._file, json.dumps(data, indent=2) + "\n", mode=0o600)

    def delete(self, name: str) -> None:
        if self._use_keyring:
            try:
                keyring.delete_password(APP_NAME, name + self._suffix)
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                raise SecretsError(f"cannot remove {name} from the system keyring: {exc}") from None
            return
        data = self._read_file()
        if data.pop(name, None) is not None:
            write_atomic(self._file, json.dumps(data, indent=2) + "\n", mode=0o600)

    def _read_file(self) -> dict[str, str]:
        try:
            text = Path(self._file).read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SecretsError(f"cannot read {self._file}: {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise SecretsError(
                f"{self._file} is damaged; remove it to make a new webhook secret "
                "(the webhooks must then be registered again)"
            ) from None
        if not isinstance(data, dict):
            raise SecretsError(f"{self._file} is damaged; remove it to start again")
        return {k: v for k, v in data.items() if isinstance(v, str)}
