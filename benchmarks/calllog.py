"""The call log window on a big log: 1,000,000 calls and 100,000 texts.

    python benchmarks/calllog.py [--calls 1000000] [--texts 100000] [--keep DIR]

Fills a log in big executemany transactions (the schema of the first release,
then the app's own migration builds the search index, which times the upgrade
too), opens the real window on the real Desktop (offscreen), and prints:
window open to first rows shown, every keystroke of typing a name and a number,
filter and sort switches, the next page, a live call, memory growth (RSS), an
export and a prune while the event loop keeps ticking. Each time is also given
as a ratio to a baseline measured in the same run on the same file: a bare
``SELECT ... ORDER BY start_utc DESC LIMIT 100`` on its own connection.

Targets (2 cores): first rows < 500 ms, each keystroke < 100 ms, memory growth < 50 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intulse_desktop.matching import digits, number_key
from intulse_desktop.store import MIGRATIONS, CallQuery, Store, to_db_time

FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Dana",
    "Kim",
    "Luis",
    "Ana",
    "Wei",
    "Priya",
    "Omar",
    "Fatima",
    "Sven",
    "Ingrid",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Nguyen",
    "Patel",
    "Chen",
    "Okafor",
    "Schmidt",
    "Rossi",
]
BUSINESSES = [
    "ACME PLUMBING",
    "INDY AUTO GLASS",
    "CIRCLE CITY DENTAL",
    "WIRELESS CALLER",
    "CARMEL VET CLINIC",
    "FISHERS HVAC",
    "BROAD RIPPLE BAKERY",
    "MONON LAW GROUP",
    "TOLL FREE CALLER",
    "ST VINCENT BILLING",
]
AREAS = ["317", "463", "765", "812", "212", "312", "415"]
WORDS = [
    "running",
    "late",
    "see",
    "the",
    "invoice",
    "attached",
    "photo",
    "of",
    "the",
    "part",
    "can",
    "you",
    "call",
    "me",
    "back",
    "thanks",
    "tomorrow",
    "morning",
    "works",
    "is",
    "the",
    "estimate",
    "ready",
    "pickup",
    "at",
    "noon",
]
MY_NUMBERS = ["+13175550100", "+13175550101", "+13175550102"]
NEEDLE = ("Dana Whitfield", "+13175550142")  # typed in the search box, one character at a time
RARE = "Zoë Okonkwo-Barnes"  # a name with a handful of calls


def callers(rnd: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """(name, number as sent, its key, its digits) for a pool of repeat callers."""
    pool = []
    for _ in range(count):
        roll = rnd.random()
        name = (
            rnd.choice(BUSINESSES)
            if roll < 0.15
            else ""
            if roll < 0.25
            else f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
        )
        national = f"{rnd.choice(AREAS)}555{rnd.randrange(0, 10000):04d}"
        number = rnd.choice([f"+1{national}", national, f"1{national}"])
        pool.append((name, number, number_key(number), digits(number)))
    pool.append((NEEDLE[0], NEEDLE[1], number_key(NEEDLE[1]), digits(NEEDLE[1])))
    pool.append((RARE, "+447700900123", number_key("+447700900123"), digits("+447700900123")))
    return pool


def fill(path: Path, calls: int, texts: int, seed: int = 7) -> None:
    """The first release's schema, filled in big transactions (not through the receiver)."""
    rnd = random.Random(seed)
    pool = callers(rnd, 20000)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    end = datetime.now(UTC).replace(microsecond=0)
    span = timedelta(days=3 * 365).total_seconds()
    unseen_from = calls - 40  # the newest missed calls are still unseen

    def call_rows():
        for i in range(calls):
            name, number, key, digit_text = (
                pool[-2] if i % 997 == 0 else pool[-1] if i % 250_000 == 0 else rnd.choice(pool[:-2])
            )
            start = end - timedelta(seconds=span * (calls - i) / calls)
            inbound = rnd.random() < 0.6
            roll = rnd.random()
            outcome = "answered" if roll < 0.8 else "missed" if inbound else "unanswered"
            answered = outcome == "answered"
            extension = "204" if rnd.random() < 0.1 else str(200 + rnd.randrange(40))
            call_id = f"{start.timestamp():.0f}.{i}"
            yield (
                call_id,
                call_id,
                4821,
                int(extension),
                "",
                extension,
                "inbound" if inbound else "outbound",
                name,
                number,
                key,
                digit_text,
                to_db_time(start),
                to_db_time(start + timedelta(seconds=8)) if answered else None,
                rnd.randrange(5, 1800) if answered else None,
                f"https://recordings.intulse.com/4821/{call_id}.mp3"
                if answered and rnd.random() < 0.5
                else None,
                outcome,
                0 if i >= unseen_from else 1,
            )

    def text_rows():
        for i in range(texts):
            _, number, key, _ = rnd.choice(pool)
            created = end - timedelta(seconds=span * (texts - i) / texts)
            to = rnd.choice(MY_NUMBERS)
            body = " ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(3, 30)))
            yield (str(i + 1), i + 1, number, to, key, number_key(to), body, to_db_time(created))

    insert_call = f"INSERT INTO calls VALUES ({', '.join('?' * 17)})"
    rows = call_rows()
    while True:
        chunk = [row for _, row in zip(range(200_000), rows, strict=False)]
        if not chunk:
            break
        db.execute("BEGIN")
        db.executemany(insert_call, chunk)
        db.execute("COMMIT")
    db.execute("BEGIN")
    db.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)", text_rows())
    db.executemany(
        "INSERT INTO attachments VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                str(i),
                i,
                i % 2 == 0,
                i % 2 == 1,
                "image/jpeg" if i % 2 == 0 else "audio/mpeg",
                f"file{i}.{'jpg' if i % 2 == 0 else 'mp3'}",
                40_000,
                f"https://media.intulse.com/mms/{i}",
            )
            for i in range(1, texts + 1, 10)
        ],
    )
    db.execute("COMMIT")
    db.close()


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def baseline_ms(path: Path, runs: int = 20) -> float:
    db = sqlite3.connect(path)
    columns = "id, remote_party_name, remote_party_number, start_utc, duration_seconds, outcome"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        db.execute(f"SELECT {columns} FROM calls ORDER BY start_utc DESC LIMIT 100").fetchall()
        times.append((time.perf_counter() - start) * 1000)
    db.close()
    return statistics.median(times)


class Stalls:
    """The longest the event loop went without running a 5 ms timer (what a user would feel)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, (now - self._last) * 1000)
        self._last = now

    def __enter__(self) -> Stalls:
        self._last = time.perf_counter()
        self.longest = 0.0
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument(
        "--keep",
        type=Path,
        help="reuse (or keep) the filled log in this folder (each run prunes its oldest month)",
    )
    args = parser.parse_args()

    home = args.keep or Path(tempfile.mkdtemp(prefix="intulse-calllog-bench-"))
    os.environ["INTULSE_DESKTOP_HOME"] = str(home)
    from intulse_desktop.paths import Paths

    paths = Paths.resolve().ensure()
    if not paths.database.exists():
        start = time.perf_counter()
        fill(paths.database, args.calls, args.texts)
        print(f"filled {args.calls:,} calls and {args.texts:,} texts in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        Store(paths.database).close()  # the upgrade: builds the search index
        print(f"upgrade to schema {len(MIGRATIONS)} (search index) in {time.perf_counter() - start:.1f} s")
    size = sum(f.stat().st_size for f in paths.data_dir.glob("calllog.sqlite3*")) / 2**20
    print(f"log file: {size:,.0f} MB")

    import qasync
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from intulse_desktop.secrets import SecretStore
    from intulse_desktop.service import Service
    from intulse_desktop.settings import Settings
    from intulse_desktop.tasks import Tasks
    from intulse_desktop.ui.calllog import FILTERS
    from intulse_desktop.ui.shell import Shell

    app = QApplication([])
    loop = qasync.QEventLoop(app, already_running=False)
    asyncio.set_event_loop(loop)
    settings = Settings(
        extension="204", my_numbers=MY_NUMBERS, sound_ring=False, sound_missed=False, sound_text=False
    )
    service = Service(paths, settings, "benchmark-secret-0123456789abcdef")
    loop.run_until_complete(service.start())
    desktop = Shell(
        service,
        paths,
        Tasks(loop),
        SecretStore(paths),
        open_url=lambda url: None,
        tray_available=lambda: True,
    )
    app.processEvents()

    base = baseline_ms(paths.database)
    print(f"\nbaseline: bare SELECT ... ORDER BY start_utc DESC LIMIT 100 = {base:.2f} ms (median of 20)\n")

    def shown(action) -> float:
        """Milliseconds from ``action`` to its rows painted."""
        start = time.perf_counter()
        action()
        window = desktop.windows.get("log")
        if window is not None:
            window.calls_view.viewport().repaint()
        app.processEvents()
        return (time.perf_counter() - start) * 1000

    def report(label: str, ms: float, target: float | None = None) -> None:
        verdict = "" if target is None else f"  {'ok' if ms < target else 'OVER'} (target < {target:.0f} ms)"
        print(f"{label:<44} {ms:8.1f} ms  {ms / base:8.0f}x baseline{verdict}")

    rss_before = rss_mb()
    opened = shown(desktop.show_call_log)
    window = desktop.windows["log"]
    window.resize(1200, 800)
    report("window open -> first rows shown", opened, 500)
    assert window.calls.rows, "no rows shown"
    report("window shown again (already open)", shown(desktop.show_call_log))

    keystrokes: dict[str, list[float]] = {}
    for label, text in (
        ("name", NEEDLE[0]),
        ("number", "(317) 555-0142"),
        ("rare name", RARE),
        ("no match", "Xavier Q"),
    ):
        times = []
        for i in range(1, len(text) + 1):
            times.append(shown(lambda i=i, text=text: window.search.setText(text[:i])))
        keystrokes[label] = times
        found = len(window.calls.rows)
        worst = max(times)
        print(f"typing {label} {text!r}: {found}{'+' if window.calls.more else ''} rows at the end")
        print("   per keystroke (ms): " + " ".join(f"{t:.0f}" for t in times))
        report(f"   slowest keystroke ({label})", worst, 100)
        report(f"   median keystroke ({label})", statistics.median(times))
        shown(lambda: window.search.setText(""))

    for name in [*list(FILTERS)[1:], "All"]:
        button = window.filter_group.button(list(FILTERS).index(name))
        report(f"filter -> {name}", shown(button.click), 100)
    for column, label in ((3, "name"), (6, "duration")):
        report(
            f"sort by {label}",
            shown(lambda c=column: window.calls_view.sortByColumn(c, Qt.SortOrder.AscendingOrder)),
        )
        report(f"   next page sorted by {label}", shown(window.calls.fetchMore))
    report(
        "sort by time (newest first)",
        shown(lambda: window.calls_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)),
    )
    report("next page (keyset)", shown(window.calls.fetchMore))
    report("range -> Last 7 days", shown(lambda: window.range.setCurrentText("Last 7 days")))
    report("range -> Any time", shown(lambda: window.range.setCurrentText("Any time")))
    report("texts tab", shown(lambda: window.tabs.setCurrentIndex(1)))
    report("texts: search 'invoice'", shown(lambda: window.search.setText("invoice")))
    shown(lambda: window.search.setText(""))
    shown(lambda: window.tabs.setCurrentIndex(0))

    from intulse_desktop.bus import Delivery
    from intulse_desktop.events import parse

    live = []
    for n in range(50):
        event = parse(
            {
                "Id": f"live-{n}",
                "Extension": "299",
                "Direction": "Inbound",
                "StartUtc": datetime.now(UTC).isoformat(),
                "RemotePartyName": "Live Caller",
                "RemotePartyNumber": "+13175550199",
            },
            "CallStarted",
        )
        loop.run_until_complete(service.writer.record(event, False, datetime.now(UTC)))
        live.append(shown(lambda e=event: service.bus.publish(Delivery(e, True, False, datetime.now(UTC)))))
    report("live call shown (median of 50)", statistics.median(live))
    for _ in range(20):
        window.calls.fetchMore()
    app.processEvents()
    rss_after = rss_mb()
    growth = rss_after - rss_before
    print(
        f"{'memory growth (RSS), window + all the above':<44} {growth:8.1f} MB  "
        f"({len(window.calls.rows):,} calls loaded)  {'ok' if growth < 50 else 'OVER'} (target < 50 MB)"
    )

    target = paths.data_dir / "export.csv"
    with Stalls() as stalls:
        start = time.perf_counter()
        loop.run_until_complete(window.export_to(target))
        took = time.perf_counter() - start
    print(
        f"\nexport of all {args.calls:,} calls: {took:.1f} s ({window.status.text()}); "
        f"longest event-loop stall meanwhile {stalls.longest:.0f} ms"
    )
    target.unlink(missing_ok=True)

    from intulse_desktop.store.retention import prune

    batches = []
    original = service.writer.run

    async def timed_run(job):
        start = time.perf_counter()
        result = await original(job)
        batches.append((time.perf_counter() - start) * 1000)
        return result

    service.writer.run = timed_run
    oldest = desktop.store.calls(CallQuery(order="asc", limit=1))[0].start_utc
    keep_days = (datetime.now(UTC) - oldest).days - 30  # prune the oldest month
    with Stalls() as stalls:
        start = time.perf_counter()
        deleted = loop.run_until_complete(prune(service.writer, keep_days))
        took = time.perf_counter() - start
    service.writer.run = original
    print(
        f"prune of the oldest month: {deleted:,} rows in {took:.1f} s, {len(batches)} batches, "
        f"slowest batch {max(batches):.0f} ms (a webhook waits at most about that); "
        f"longest event-loop stall {stalls.longest:.0f} ms"
    )

    desktop.close()
    loop.run_until_complete(desktop.tasks.wait())
    loop.run_until_complete(service.close())
    loop.close()  # and with it the loop's worker threads (DNS lookups), before Qt goes
    if args.keep is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
