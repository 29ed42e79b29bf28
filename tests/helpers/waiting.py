"""Waiting on a condition instead of sleeping: one poller for every test.

``eventually`` is the coroutine; ``run_until`` drives it on a loop the test owns
(the GUI's qasync loop), where a test cannot ``await``. Qt-only conditions with
no loop work to wait for can keep using ``qtbot.waitUntil``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

POLL = 0.01  # seconds between checks: short enough to be quick, long enough to let other work run


Said = str | Callable[[], str]  # what was awaited, for the failure message (a callable: the state then)


async def eventually(condition: Callable[[], object], timeout: float = 10.0, what: Said = "") -> None:
    """Return as soon as ``condition()`` is true (awaited, if it is a coroutine function); fail the
    test if it is not within ``timeout``."""

    async def holds() -> object:
        result = condition()
        return await result if inspect.isawaitable(result) else result

    try:
        async with asyncio.timeout(timeout):
            while not await holds():
                await asyncio.sleep(POLL)
    except TimeoutError:
        said = what() if callable(what) else what
        raise AssertionError(f"timed out after {timeout} s waiting for {said or condition}") from None


def run_until(
    loop: asyncio.AbstractEventLoop, condition: Callable[[], object], timeout: float = 10.0, what: Said = ""
) -> None:
    """``eventually`` on ``loop``, from outside it (the GUI tests' qasync loop)."""
    loop.run_until_complete(eventually(condition, timeout, what))


async def writes_done(writer: Any) -> None:
    """Let every task that is ready take its next step, then wait until the writer has committed
    what they queued (it commits in order): a test can then say that something did NOT happen."""
    await asyncio.sleep(0)
    await writer.run(lambda store: None)
