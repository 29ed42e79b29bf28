"""Shared fixtures: an isolated home for every test, Qt offscreen, no real keyring."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# Before anything imports Qt or keyring.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data dir; nothing touches the user's real files."""
    root = tmp_path / "home"
    monkeypatch.setenv("INTULSE_DESKTOP_HOME", str(root))
    monkeypatch.delenv("INTULSE_API_KEY", raising=False)
    monkeypatch.delenv("INTULSE_API_URL", raising=False)
    return root
