"""``intulse-desktop --headless`` in a subprocess, for tests of the whole process."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from intulse_desktop.paths import Paths
from intulse_desktop.secrets import SecretStore


def stop_process(proc: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM ``proc``; SIGKILL it if it has not ended within ``grace`` seconds."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Headless:
    """``intulse-desktop --headless`` in a subprocess, its output collected as it runs."""

    def __init__(self, home: Path, *extra: str, preexec_fn: Callable[[], None] | None = None) -> None:
        self.home = home
        env = os.environ | {"INTULSE_DESKTOP_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "intulse_desktop", "--headless", "--port", "0", *extra],
            env=env,
            preexec_fn=preexec_fn,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self._pumps = [
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))
        ]
        for pump in self._pumps:
            pump.start()
        self.port = self._wait_for_port()
        self.secret = SecretStore(Paths.resolve(home)).webhook_secret()

    def _pump(self, stream, sink):
        with stream:
            for line in stream:
                sink.append(line)
                self._lines.put(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pump in self._pumps:
            pump.join()

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            match = re.search(r"receiving webhooks on [^ ]+:(\d+) \(", line)
            if match:
                return int(match.group(1))
        raise AssertionError(f"the receiver did not start: {''.join(self.err)}")

    def url(self, event_type: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{self.secret}/{event_type}"

    def stop(self, sig=signal.SIGTERM, timeout=15) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        for pump in self._pumps:
            pump.join()
        return code

    def output(self) -> str:
        return "".join(self.out + self.err)
