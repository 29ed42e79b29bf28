"""Pop-up latency, and the tray app's idle cost.

    python benchmarks/popup.py [--events 200]

Latency: the real receiver, writer and GUI (``Desktop``) in this process on a
qasync loop; a separate client process posts CallStarted webhooks one at a
time and notes when each POST returned; this process notes when each card was
first painted. The baseline is the same pipeline with a bare ``QLabel`` window
shown for each event instead of a card.

Idle: the real app (``intulse-desktop``) in a subprocess, left alone after
start-up: its RSS, its CPU time and how often its threads woke up, against a
bare PySide6 app with a tray icon measured the same way.

Runs on the offscreen platform unless DISPLAY is set (e.g. under Xvfb).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

import qasync
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QSystemTrayIcon

from intulse_desktop.ui.tray import TRAY_RETRY_MS

ROOT = Path(__file__).resolve().parents[1]
SECRET = "benchmark-secret-0123456789abcdef"
SAMPLE = json.loads((ROOT / "tests" / "payloads" / "CallStarted.json").read_text())
IDLE_SECONDS = 10

CLIENT = """
import asyncio, json, sys, time, aiohttp
url, count, body = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
async def main():
    async with aiohttp.ClientSession() as s:
        for n in range(count):
            async with s.post(url, json=body | {"Id": f"bench-{n}"}) as r:
                assert r.status == 200, r.status
                print(f"bench-{n} {time.time()}", flush=True)
            await asyncio.sleep(0.03)
asyncio.run(main())
"""

BARE_TRAY_APP = """
import sys
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
app = QApplication(sys.argv)
app.setQuitOnLastWindowClosed(False)
pixmap = QPixmap(32, 32); pixmap.fill()
tray = QSystemTrayIcon(QIcon(pixmap)); tray.show()
print("ready", flush=True)
app.exec()
"""


class Painted(QObject):
    """Notes when each watched window is first painted."""

    def __init__(self) -> None:
        super().__init__()
        self.times: dict[str, float] = {}

    def watch(self, widget: QObject, key: str) -> None:
        widget.setProperty("bench_key", key)
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            key = obj.property("bench_key")
            self.times.setdefault(key, time.time())
        return False


async def post_all(url: str, events: int) -> dict[str, float]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLIENT, url, str(events), json.dumps(SAMPLE), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    return {line.split()[0]: float(line.split()[1]) for line in out.decode().splitlines()}


async def latency_run(events: int, bare: bool) -> list[float]:
    from intulse_desktop.paths import Paths
    from intulse_desktop.secrets import SecretStore
    from intulse_desktop.service import Service
    from intulse_desktop.settings import Settings
    from intulse_desktop.tasks import Tasks
    from intulse_desktop.ui.desktop import Desktop

    paths = Paths.resolve(tempfile.mkdtemp(prefix="intulse-popup-")).ensure()
    settings = Settings(extension="204", sound_ring=False, sound_missed=False, sound_text=False)
    service = Service(paths, settings, SECRET)
    await service.start()
    _, port = await service.listen("127.0.0.1", 0)
    painted = Painted()
    windows: list[QLabel] = []
    if bare:

        def show_label(delivery) -> None:
            label = QLabel(delivery.event.id)
            painted.watch(label, delivery.event.id)
            label.show()
            windows.append(label)
            if len(windows) > 6:
                windows.pop(0).close()

        service.subscribe(show_label)
    else:
        desktop = Desktop(
            service,
            paths,
            Tasks(asyncio.get_running_loop()),
            SecretStore(paths),
            tray_available=lambda: False,
        )
        shown = desktop.cards.show

        def show_and_watch(card) -> None:
            painted.watch(card, card.call_id)
            shown(card)

        desktop.cards.show = show_and_watch
    returned = await post_all(f"http://127.0.0.1:{port}/hooks/{SECRET}/CallStarted", events)
    await asyncio.sleep(0.2)
    if not bare:
        desktop.close()
    for label in windows:
        label.close()
    await service.close()
    missing = set(returned) - set(painted.times)
    assert not missing, f"{len(missing)} events never showed a window"
    return [(painted.times[k] - returned[k]) * 1000 for k in returned]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def process_cost(argv: list[str], env: dict[str, str], ready: str) -> dict[str, float]:
    """RSS, CPU and wake-ups of a process left alone for IDLE_SECONDS after it is ready."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        for line in proc.stdout:
            if ready in line or time.monotonic() > deadline:
                break
        time.sleep(3)  # let start-up work settle
        before = _counters(proc.pid)
        time.sleep(IDLE_SECONDS)
        after = _counters(proc.pid)
        return {
            "rss_mb": after["rss_kb"] / 1024,
            "cpu_percent": (after["ticks"] - before["ticks"]) / os.sysconf("SC_CLK_TCK") / IDLE_SECONDS * 100,
            "wakeups_per_s": (after["switches"] - before["switches"]) / IDLE_SECONDS,
        }
    finally:
        proc.terminate()
        proc.wait(15)


def _counters(pid: int) -> dict[str, int]:
    ticks = switches = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        stat = (task / "stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(stat[11]) + int(stat[12])
        for line in (task / "status").read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                switches += int(line.split()[1])
    rss = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS")
    )
    return {"ticks": ticks, "switches": switches, "rss_kb": rss}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()

    app = QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        bare = loop.run_until_complete(latency_run(args.events, bare=True))
        cards = loop.run_until_complete(latency_run(args.events, bare=False))

    env = os.environ | {"INTULSE_DESKTOP_HOME": tempfile.mkdtemp(prefix="intulse-idle-")}
    real = process_cost([sys.executable, "-m", "intulse_desktop", "--port", "0"], env, "receiving webhooks")
    baseline = process_cost([sys.executable, "-c", BARE_TRAY_APP], env, "ready")

    print(f"platform: {os.environ['QT_QPA_PLATFORM']}, events: {args.events}, cores: {os.cpu_count()}")
    if not QSystemTrayIcon.isSystemTrayAvailable():  # e.g. offscreen, or Xvfb without trayer
        print(
            "no system tray: the app shows its fallback window and looks for a tray every "
            f"{TRAY_RETRY_MS / 1000:g} s for two minutes, so the idle figures include that timer"
        )
    print("time from the POST returning to the window being painted:")
    for name, values in (("bare QLabel window", bare), ("call card (real app)", cards)):
        print(f"  {name:22s} p50 {percentile(values, 50):6.1f} ms   p99 {percentile(values, 99):6.1f} ms")
    print(
        f"  card p99 / bare p99: {percentile(cards, 99) / max(percentile(bare, 99), 0.001):.2f}x "
        "(target: card p99 < 50 ms)"
    )
    print(f"idle, {IDLE_SECONDS} s after start-up:")
    for name, cost in (("bare PySide6 tray app", baseline), ("intulse-desktop", real)):
        print(
            f"  {name:22s} RSS {cost['rss_mb']:6.1f} MB   CPU {cost['cpu_percent']:5.2f} %   "
            f"wake-ups {cost['wakeups_per_s']:5.1f}/s"
        )
    print(
        f"  RSS ratio {real['rss_mb'] / baseline['rss_mb']:.2f}x (target < 150 MB); "
        f"wake-ups {real['wakeups_per_s']:.1f}/s vs {baseline['wakeups_per_s']:.1f}/s "
        "(target: no timer while idle)"
    )


if __name__ == "__main__":
    main()
