"""``--headless``: the receiver and the log with no GUI, one line per event on stdout."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from typing import TYPE_CHECKING, TextIO

from intulse_desktop.bus import Delivery
from intulse_desktop.events import CallCompleted, CallStarted, ExtensionUpdated, TextMessageReceived
from intulse_desktop.export import iso_utc
from intulse_desktop.formatting import printable
from intulse_desktop.service import Service

if TYPE_CHECKING:
    from intulse_desktop.tunnel.manager import ManagedTunnel

WHERE_URLS = "intulse-desktop webhook-url shows the URLs to register"


def describe(delivery: Delivery, verbose: bool = False) -> str:
    """One line for an event; message bodies only when ``verbose``."""
    event = delivery.event
    flags = ("new" if delivery.is_new else "repeat") + (",mine" if delivery.is_mine else "")
    if isinstance(event, CallStarted | CallCompleted):
        party = f"{event.remote_party_number} {event.remote_party_name}"
        detail = f"{event.id} ext {event.extension} {event.direction} {party}"
        if isinstance(event, CallCompleted):
            detail += f" -> {event.outcome}"
            if event.duration_in_seconds is not None:
                detail += f" {event.duration_in_seconds}s"
    elif isinstance(event, ExtensionUpdated):
        detail = f"ext {event.extension} {event.state} ({event.status})"
        if event.connected_line_number or event.connected_line_name:
            detail += f" with {event.connected_line_number} {event.connected_line_name}"
    elif isinstance(event, TextMessageReceived):
        detail = f"{event.key} from {event.from_} to {event.to}, {len(event.attachments)} attachment(s)"
        if verbose:
            detail += f": {event.body}"
    else:  # pragma: no cover - the four types are exhaustive
        detail = ""
    return f"{iso_utc(delivery.received)} {event.TYPE} {printable(detail.strip())} [{flags}]"


class LinePrinter:
    """Prints each event at once, but flushes once per loop pass: one write for a burst."""

    def __init__(self, out: TextIO, verbose: bool) -> None:
        self._out = out
        self._verbose = verbose
        self._flush_due = False

    def __call__(self, delivery: Delivery) -> None:
        self._out.write(describe(delivery, self._verbose) + "\n")
        if not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        self._out.flush()


def stop_on_signals() -> asyncio.Event:
    """An event that SIGTERM or SIGINT sets (where the platform has them)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # On Windows there are none: Ctrl+C arrives as KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def run(
    service: Service,
    host: str,
    port: int,
    verbose: bool = False,
    out: TextIO = sys.stdout,
    hub: tuple[str, str] | None = None,
    tunnel: ManagedTunnel | None = None,
) -> int:
    """Receive until SIGTERM or SIGINT, then finish what is in flight and return 0.

    With ``hub`` (its URL and this desktop's token) events come from an office
    hub instead of the local receiver; a refused token ends the run with 1.
    With ``tunnel`` the receiver is reached through it: one line per change.
    """
    stop = stop_on_signals()
    service.subscribe(LinePrinter(out, verbose))
    service.subscribe_tests(
        lambda n: print(f"{iso_utc(n.received)} test {n.event_type} (not stored)", file=out, flush=True)
    )
    await service.start()
    refused: list[str] = []

    def on_hub_state(state: str, detail: str) -> None:
        if state == "rejected":
            refused.append(detail)
            stop.set()

    service.watch_hub(on_hub_state)
    try:
        if hub is None:
            _, bound = await service.receive_locally(host, port)
            say(f"receiving webhooks on {host}:{bound} ({WHERE_URLS})")
            if tunnel is not None:
                tunnel.subscribe(lambda news: say(news.message))
                tunnel.start((host, bound))
        else:
            await service.receive_from_hub(*hub)
            say(f"receiving events from the office hub at {hub[0]}")
            if tunnel is not None:
                say("no tunnel: this desktop receives from the office hub, which Intulse reaches")
                tunnel = None
        service.keep_pruned(service.settings.retention_days)
        await stop.wait()
    finally:
        if tunnel is not None:
            await tunnel.stop()
        await service.close()
    if refused:
        say(refused[0])
        return 1
    return 0


def say(line: str) -> None:
    """A line about the run itself, on stderr (stdout is for events)."""
    print(f"intulse-desktop: {line}", file=sys.stderr, flush=True)
