"""What every tunnel tool has in common: finding it, starting it, reading its address, stopping it.

A tool's module says how to start it and which line of its output carries the
public address; ``ProcessTunnel`` runs the process, keeps reading its output
(a full pipe would stall the tool) and remembers the last lines, so that when
it ends the reason can name what it said.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from intulse_desktop.formatting import printable

ADDRESS_TIMEOUT = 30.0  # a tool that gives no address by then is not going to
STOP_TIMEOUT = 5.0  # after SIGTERM (terminate), then it is killed


class TunnelError(Exception):
    """The tunnel could not be opened; the message names the tool and says why."""


class Opened(ABC):
    """A running tunnel: its public address, until ``ended`` returns."""

    address: str
    pid: int | None = None

    @abstractmethod
    async def ended(self) -> str:
        """Wait until the tunnel stops working; why, in words."""

    @abstractmethod
    async def close(self) -> None:
        """Stop the tunnel (idempotent)."""


class Tool(ABC):
    """One tunnel program: ``open`` starts it for a local URL and returns once it has an address."""

    name: str

    @abstractmethod
    async def open(self, executable: str, target: str) -> Opened: ...


def find_executable(name: str, configured: str | None) -> str | None:
    """``configured`` (``tunnel_path``: the program or its folder) if it is there, else ``name`` on PATH."""
    if configured:
        path = Path(configured).expanduser()
        if path.is_dir():
            path = path / name
        found = shutil.which(str(path))
        return found
    return shutil.which(name)


class ProcessTunnel(Opened):
    """A tool that runs as long as the tunnel does (cloudflared, ngrok).

    ``summary`` turns one line of its output into what is worth repeating when it
    ends (its error, without the log's time stamp), or None to skip it.
    """

    def __init__(
        self,
        name: str,
        process: asyncio.subprocess.Process,
        stream: asyncio.StreamReader,
        summary: Callable[[str], str | None],
    ) -> None:
        self.name = name
        self.pid = process.pid
        self._process = process
        self._output = self._lines(stream)
        self._summary = summary
        self._last: collections.deque[str] = collections.deque(maxlen=1)
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls, name: str, argv: list[str], *, output: str, summary: Callable[[str], str | None]
    ) -> ProcessTunnel:
        """Start ``argv``; ``output`` ("stdout" or "stderr") is where it says its address."""
        pipe, devnull = asyncio.subprocess.PIPE, asyncio.subprocess.DEVNULL
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=devnull,
                stdout=pipe if output == "stdout" else devnull,
                stderr=pipe if output == "stderr" else devnull,
                start_new_session=os.name == "posix",  # Ctrl+C in a terminal reaches us, not the tool
            )
        except OSError as exc:
            raise TunnelError(f"cannot start {name} ({argv[0]}): {exc.strerror or exc}") from None
        stream = process.stdout if output == "stdout" else process.stderr
        assert stream is not None
        return cls(name, process, stream, summary)

    async def read_address(self, parse: Callable[[str], str | None]) -> str:
        """The first address ``parse`` finds in the output; ``TunnelError`` if the tool ends first
        or is silent too long. Afterwards the rest of the output is read and dropped."""
        try:
            async with asyncio.timeout(ADDRESS_TIMEOUT):
                async for line in self._output:
                    if address := parse(line):
                        self.address = address
                        self._reader = asyncio.create_task(self._drain())
                        return address
        except TimeoutError:
            await self.close()
            raise TunnelError(f"{self.name} gave no public address within {ADDRESS_TIMEOUT:g} s") from None
        except asyncio.CancelledError:  # quitting while it starts: it must not outlive the app
            await asyncio.shield(self.close())
            raise
        code = await self._process.wait()
        raise TunnelError(f"{self.name} exited (code {code}) before giving an address{self._said()}")

    async def ended(self) -> str:
        code = await self._process.wait()
        if self._reader is not None:
            await self._reader
        return f"{self.name} exited (code {code}){self._said()}"

    async def close(self) -> None:
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.terminate()
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await self._process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self._process.kill()
                await self._process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _lines(self, stream: asyncio.StreamReader) -> AsyncIterator[str]:
        while raw := await stream.readline():
            line = raw.decode("utf-8", "replace").strip()
            if line and (said := self._summary(line)):
                self._last.append(printable(said)[:300])
            yield line

    async def _drain(self) -> None:
        async for _ in self._output:
            pass

    def _said(self) -> str:
        return f": {self._last[-1]}" if self._last else ""
