"""Waiting on a condition instead of sleeping: one poller for every test.

``eventually`` is the coroutine; ``run_until`` drives it on a loop the test owns
(the GUI's qasync loop), where a test cannot ``await``. Qt-only conditions with
no loop work to wait for can keep using ``qtbot.waitUntil``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

POLL = 0.01  # seconds between checks: short enough to be quick, long enough to let other work run


Said = str | Callable[[], str]  # what was awaited, for the failure message (a callable: the state then)


async def eventually(condition: Callable[[], object], timeout: float = 10.0, what: Said = "") -> None:
    """Return as soon as ``condition()`` is true; fail the test if it is not within ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(POLL)
    except TimeoutError:
        said = what() if callable(what) else what
        raise AssertionError(f"timed out after {timeout} s waiting for {said or condition}") from None


def run_until(
    loop: asyncio.AbstractEventLoop, condition: Callable[[], object], timeout: float = 10.0, what: Said = ""
) -> None:
    """``eventually`` on ``loop``, from outside it (the GUI tests' qasync loop)."""
    loop.run_until_complete(eventually(condition, timeout, what))
