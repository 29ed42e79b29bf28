"""A secret typed into Settings: shown as dots, and compared with what is stored."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit

from intulse_desktop.secrets import SecretStore


class SecretField(QLineEdit):
    """The secret ``name`` in ``secrets``; ``stored`` is what was read, to tell an edit."""

    def __init__(self, secrets: SecretStore, name: str, placeholder: str) -> None:
        super().__init__()
        self._secrets = secrets
        self.name = name
        self.stored = ""
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setPlaceholderText(placeholder)

    def read(self) -> None:
        """Show what is stored; raises ``SecretsError`` (and shows nothing) if it cannot be read."""
        self.stored = ""
        try:
            self.stored = self._secrets.get(self.name) or ""
        finally:
            self.setText(self.stored)

    def typed(self) -> str:
        return self.text().strip()

    def pending(self) -> bool:
        return self.typed() != self.stored

    def commit(self) -> None:
        """Store what is typed, if it was edited (nothing typed: delete it)."""
        value = self.typed()
        if value == self.stored:
            return
        if value:
            self._secrets.set(self.name, value)
        else:
            self._secrets.delete(self.name)
        self.stored = value
