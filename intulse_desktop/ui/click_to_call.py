"""Call back through Intulse click-to-call: my phone rings first, then dials the number.

The result is told through ``tell`` (the tray's message, or a message box where
there is no tray), because the click came from a card or a window that may be
gone by then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from intulse_desktop.intulse_api import ApiUnavailable, IntulseApi, Kind
from intulse_desktop.matching import format_number
from intulse_desktop.outcome import Outcome
from intulse_desktop.secrets import SecretStore
from intulse_desktop.settings import Settings
from intulse_desktop.tasks import Tasks

Tell = Callable[[str, str, bool], None]  # title, text, ok


def click_to_call(
    number: str, settings: Settings, secrets: SecretStore, tasks: Tasks, tell: Tell
) -> asyncio.Task[None]:
    async def run() -> None:
        result = await call(number, settings, secrets)
        shown = format_number(number, settings.default_region)
        if result.ok:
            tell(
                f"Calling {shown}",
                f"Your phone (ext {settings.extension}) rings first: pick it up and the call goes out.",
                True,
            )
        else:
            tell(f"Could not call {shown}", result.message, False)

    return tasks.spawn(run(), "click-to-call")


async def call(number: str, settings: Settings, secrets: SecretStore) -> Outcome:
    """Ask Intulse to connect my extension to ``number``; every failure is a result, in words."""
    try:
        api = IntulseApi.from_secrets(
            settings, secrets, no_key="no Intulse API key: enter it in Settings, on the Connection tab"
        )
    except ApiUnavailable as exc:
        return Outcome(False, Kind.REJECTED, str(exc))
    async with api:
        return await api.call(settings.extension, number)
