"""Call back through Intulse click-to-call: my phone rings first, then dials the number.

The result is shown as a tray message (a message box where there is no tray),
because the click came from a card or a window that may be gone by then.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QSystemTrayIcon

from intulse_desktop.intulse_api import ApiKeyError, ApiResult, IntulseApi, Kind
from intulse_desktop.logs import Redactor
from intulse_desktop.matching import format_number
from intulse_desktop.secrets import SecretsError, SecretStore
from intulse_desktop.settings import Settings, SettingsError
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.tray import Tray

MESSAGE_MS = 10000


class Caller(Protocol):
    """What click-to-call uses of the app (the ``Desktop``)."""

    settings: Settings
    tasks: Tasks
    secrets: SecretStore
    redactor: Redactor
    tray: Tray


def click_to_call(desktop: Caller, number: str) -> asyncio.Task[None]:
    async def run() -> None:
        result = await call(desktop, number)
        shown = format_number(number, desktop.settings.default_region)
        if result.ok:
            notify(
                desktop,
                f"Calling {shown}",
                f"Your phone (ext {desktop.settings.extension}) rings first: "
                "pick it up and the call goes out.",
                ok=True,
            )
        else:
            notify(desktop, f"Could not call {shown}", result.message, ok=False)

    return desktop.tasks.spawn(run(), "click-to-call")


async def call(desktop: Caller, number: str) -> ApiResult:
    """Ask Intulse to connect my extension to ``number``; every failure is a result, in words."""
    settings = desktop.settings
    try:
        key = desktop.secrets.api_key()
        if not key:
            return ApiResult(
                False, Kind.REJECTED, "no Intulse API key: enter it in Settings, on the Connection tab"
            )
        desktop.redactor.add(key)
        api = IntulseApi.from_settings(settings, key)
    except (SecretsError, SettingsError, ApiKeyError) as exc:
        return ApiResult(False, Kind.REJECTED, str(exc))
    async with api:
        return await api.call(settings.extension, number)


def notify(desktop: Caller, title: str, text: str, *, ok: bool) -> None:
    if desktop.tray.in_tray:
        icon = QSystemTrayIcon.MessageIcon.Information if ok else QSystemTrayIcon.MessageIcon.Warning
        desktop.tray.icon.showMessage(title, text, icon, MESSAGE_MS)
        return
    box = QMessageBox(QMessageBox.Icon.Information if ok else QMessageBox.Icon.Warning, title, text)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
