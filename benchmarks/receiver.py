"""Receiver throughput and latency against a bare aiohttp handler, same load, same run.

    python benchmarks/receiver.py [--connections 32] [--duration 10]

Needs wrk (``apt-get install wrk``). The real receiver runs as
``intulse-desktop --headless`` (validate, commit with synchronous=FULL, answer);
the baseline is an aiohttp app whose handler only answers 200. Every event wrk
saw acknowledged must be in the log afterwards.

Two floors run too: the least any durable receiver in this stack can do, to
show how much of the gap to the bare handler is ours. Each validates the body
with the same pydantic model (straight from bytes), then, with group commit in
WAL and synchronous=FULL, one statement per batch: ``append`` adds the raw body
to a table; ``merge`` keeps one row per call Id (the least the call log needs),
with no other index, no delivery line, no output and no "new?" answer.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = json.loads((ROOT / "tests" / "payloads" / "CallCompleted.json").read_text())

# The server gets one core and the load generator the other, for both servers alike,
# so neither competes with wrk for a core (the machines here have two).
PIN_SERVER = ["taskset", "-c", "0"] if shutil.which("taskset") and os.cpu_count() >= 2 else []
PIN_LOAD = ["taskset", "-c", "1"] if PIN_SERVER else []

LUA = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  counter = counter + 1
  local body = string.format(TEMPLATE, tid, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def serve_bare(port: int) -> None:
    from aiohttp import web

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", ok)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def serve_floor(mode: str, port: int, database: str) -> None:
    import asyncio
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    from aiohttp import web

    from intulse_desktop.events import CallCompleted

    db = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    if mode == "append":
        db.execute("CREATE TABLE events (n INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        write = "INSERT INTO events (body) VALUES (?)"
    else:
        db.execute("CREATE TABLE calls (id TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID")
        write = "INSERT INTO calls (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = ?2"
    pool = ThreadPoolExecutor(1)
    pending: list[tuple[tuple[str | bytes, ...], asyncio.Future[None]]] = []
    flushing: asyncio.Task[None] | None = None

    async def flush() -> None:
        nonlocal pending, flushing
        while pending:
            batch, pending = pending, []
            db.execute("BEGIN")
            db.executemany(write, [row for row, _ in batch])
            await asyncio.get_running_loop().run_in_executor(pool, db.execute, "COMMIT")
            for _, done in batch:
                done.set_result(None)
        flushing = None

    async def hook(request: web.Request) -> web.Response:
        nonlocal flushing
        body = request.content.read_nowait() if request.content.is_eof() else await request.read()
        call = CallCompleted.model_validate_json(body)
        done = asyncio.get_running_loop().create_future()
        pending.append(((body,) if mode == "append" else (call.id, body), done))
        if flushing is None:
            flushing = asyncio.create_task(flush())
        await done
        return web.json_response({"stored": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", hook)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def run_wrk(url: str, script: Path, connections: int, duration: int) -> dict[str, float]:
    out = subprocess.run(
        [*PIN_LOAD, "wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale,
        "ok": total - (int(bad.group(1)) if bad else 0),
        "socket_errors": errors.group(1) if errors else "none",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-floor", nargs=3, metavar=("MODE", "DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        return serve_bare(args.serve_bare)
    if args.serve_floor:
        mode, database, port = args.serve_floor
        return serve_floor(mode, int(port), database)
    if not shutil.which("wrk"):
        raise SystemExit("this benchmark needs wrk: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="intulse-bench-"))
    body = (
        json.dumps(SAMPLE | {"Id": "ID", "LinkedId": "ID"})
        .replace('"ID"', '"w%d-%d"', 1)
        .replace('"ID"', '"l"')
    )
    script = work / "post.lua"
    script.write_text(f"TEMPLATE = {json.dumps(body)}\n" + LUA)

    def measure(command: list[str], path: str, **popen: object) -> dict[str, float]:
        """Start a server listening on the port at the end of ``command``, load it, stop it."""
        port = free_port()
        server = subprocess.Popen([*PIN_SERVER, *command, str(port)], **popen)
        try:
            wait_for(port, server)
            return run_wrk(f"http://127.0.0.1:{port}{path}", script, args.connections, args.duration)
        finally:
            server.terminate()
            server.wait()

    me = [sys.executable, __file__]
    baseline = measure([*me, "--serve-bare"], "/hooks/x/CallCompleted")
    floors = {
        mode: measure([*me, "--serve-floor", mode, str(work / f"{mode}.sqlite3")], "/hooks/x/CallCompleted")
        for mode in ("append", "merge")
    }
    home = work / "home"
    env = os.environ | {
        "INTULSE_DESKTOP_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    urls = subprocess.run(  # makes the secret
        [sys.executable, "-m", "intulse_desktop", "webhook-url", "--json"],
        env=env,
        capture_output=True,
        check=True,
    ).stdout
    result = measure(
        [sys.executable, "-m", "intulse_desktop", "--headless", "--port"],
        urlsplit(json.loads(urls)["CallCompleted"]).path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from intulse_desktop.paths import Paths

    stored = sqlite3.connect(Paths.resolve(home).database).execute("SELECT count(*) FROM calls").fetchone()[0]
    shutil.rmtree(work)

    def line(name: str, figures: dict[str, float]) -> str:
        ratio = figures["rps"] / baseline["rps"]
        return f"{name:<36}: {figures['rps']:8.0f} req/s  p99 {figures['p99_ms']:6.1f} ms  {ratio:5.2f}x"

    print(f"connections: {args.connections}, duration: {args.duration}s, cores: {os.cpu_count()}")
    print(line("bare aiohttp handler", baseline))
    print(line("floor: validate, append (FULL)", floors["append"]))
    print(line("floor: validate, merge by Id (FULL)", floors["merge"]))
    print(line("receiver (FULL sync)", result))
    print(f"throughput ratio     : {result['rps'] / baseline['rps']:.2f}x the bare handler (target >= 0.5x)")
    print(f"p99 latency          : {result['p99_ms']:.1f} ms (target < 50 ms)")
    print(
        f"acknowledged / stored: {result['ok']} / {stored} "
        f"({'all stored' if stored >= result['ok'] else 'LOST EVENTS'})"
    )
    print(f"socket errors        : {result['socket_errors']}")
    if stored < result["ok"]:
        raise SystemExit("acknowledged events were lost")


if __name__ == "__main__":
    main()
