from __future__ import annotations

import logging
import stat

import keyring
import pytest

from intulse_desktop.logs import REDACTED
from intulse_desktop.paths import Paths
from intulse_desktop.secrets import SecretsError, SecretStore

from .helpers.fakes import MemoryKeyring


def test_the_webhook_secret_is_long_random_urlsafe_and_stable(paths):
    store = SecretStore(paths)
    secret = store.webhook_secret()
    assert len(secret) >= 22  # >= 128 bits in URL-safe base64
    assert all(c.isalnum() or c in "-_" for c in secret)
    assert SecretStore(paths).webhook_secret() == secret
    assert SecretStore(Paths.resolve(paths.config_dir / "other")).webhook_secret() != secret


def test_regenerating_changes_the_secret(paths):
    store = SecretStore(paths)
    old = store.webhook_secret()
    assert store.regenerate_webhook_secret() != old
    assert SecretStore(paths).webhook_secret() != old


@pytest.mark.posix
def test_without_a_keyring_secrets_go_to_a_private_file_and_the_user_is_told_once(paths, caplog):
    caplog.set_level(logging.WARNING)
    store = SecretStore(paths)
    store.webhook_secret()
    store.set_api_key("key-123")
    assert stat.S_IMODE(paths.secrets_file.stat().st_mode) == 0o600
    warnings = [r for r in caplog.records if "keyring" in r.getMessage()]
    assert len(warnings) == 1
    assert str(paths.secrets_file) in warnings[0].getMessage()
    assert SecretStore(paths).api_key() == "key-123"


@pytest.mark.posix
def test_a_keyring_that_cannot_be_loaded_is_said_and_secrets_go_to_the_private_file(
    paths, monkeypatch, caplog
):
    def unloadable():
        raise ValueError("Empty module name")  # what keyring says to PYTHON_KEYRING_BACKEND=""

    monkeypatch.setattr(keyring, "get_keyring", unloadable)
    store = SecretStore(paths)
    store.set_api_key("key-123")
    assert "cannot be loaded (ValueError: Empty module name)" in caplog.text
    assert stat.S_IMODE(paths.secrets_file.stat().st_mode) == 0o600
    assert SecretStore(paths).api_key() == "key-123"


def test_with_a_keyring_secrets_never_touch_the_file(paths, monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    monkeypatch.setattr(keyring, "get_password", backend.get_password)
    monkeypatch.setattr(keyring, "set_password", backend.set_password)
    monkeypatch.setattr(keyring, "delete_password", backend.delete_password)
    store = SecretStore(paths)
    secret = store.webhook_secret()
    store.set_api_key("key-123")
    assert not paths.secrets_file.exists()
    assert secret in backend.items.values()
    assert "key-123" in backend.items.values()
    store.set_api_key(None)
    assert store.api_key() is None


def test_the_api_key_in_the_environment_wins(paths, monkeypatch):
    store = SecretStore(paths)
    store.set_api_key("stored")
    monkeypatch.setenv("INTULSE_API_KEY", "from-env")
    assert store.api_key() == "from-env"


def test_a_damaged_secrets_file_is_a_clear_error(paths):
    paths.secrets_file.write_text("{not json")
    with pytest.raises(SecretsError, match="damaged"):
        SecretStore(paths).webhook_secret()


def test_every_secret_read_or_stored_is_redacted_from_logs(paths, monkeypatch):
    store = SecretStore(paths)
    secret = store.webhook_secret()
    store.set_api_key("key-from-the-keyring-123")
    fresh = SecretStore(paths)
    fresh.webhook_secret()
    monkeypatch.setenv("INTULSE_API_KEY", "key-from-the-environment-456")
    fresh.api_key()
    line = f"{secret} key-from-the-keyring-123 key-from-the-environment-456"
    assert store.redactor(line).count(secret) == 0
    assert "key-from-the-keyring-123" not in store.redactor(line)
    assert fresh.redactor(line) == f"{REDACTED} key-from-the-keyring-123 {REDACTED}"
