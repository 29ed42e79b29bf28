"""Receiver throughput and latency against a bare aiohttp handler, same load, same run.

    python benchmarks/receiver.py [--connections 32] [--duration 10]

Needs wrk (``apt-get install wrk``). The real receiver runs as
``intulse-desktop --headless`` (validate, commit with synchronous=FULL, answer);
the baseline is an aiohttp app whose handler only answers 200. Every event wrk
saw acknowledged must be in the log afterwards.
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


def run_wrk(url: str, script: Path, connections: int, duration: int) -> dict[str, float]:
    out = subprocess.run(
        [*PIN_LOAD, "wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        return serve_bare(args.serve_bare)
    if not shutil.which("wrk"):
        raise SystemExit("this benchmark needs wrk: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="intulse-bench-"))
    body = json.dumps(SAMPLE | {"Id": "ID", "LinkedId": "ID"}).replace('"ID"', '"w%d-%d"', 1).replace('"ID"', '"l"')
    script = work / "post.lua"
    script.write_text(f"TEMPLATE = {json.dumps(body)}\n" + LUA)

    bare_port = free_port()
    bare = subprocess.Popen([*PIN_SERVER, sys.executable, __file__, "--serve-bare", str(bare_port)])
    try:
        wait_for(bare_port, bare)
        baseline = run_wrk(f"http://127.0.0.1:{bare_port}/hooks/x/CallCompleted", script, args.connections, args.duration)
    finally:
        bare.terminate()
        bare.wait()

    home = work / "home"
    env = os.environ | {"INTULSE_DESKTOP_HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    port = free_port()
    real = subprocess.Popen(
        [*PIN_SERVER, sys.executable, "-m", "intulse_desktop", "--headless", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port, real)
        secret = json.loads((home / "secrets.json").read_text())["webhook-secret"]
        result = run_wrk(f"http://127.0.0.1:{port}/hooks/{secret}/CallCompleted", script, args.connections, args.duration)
    finally:
        real.terminate()
        real.wait()
    stored = sqlite3.connect(home / "calllog.sqlite3").execute("SELECT count(*) FROM calls").fetchone()[0]
    shutil.rmtree(work)

    print(f"connections: {args.connections}, duration: {args.duration}s, cores: {os.cpu_count()}")
    print(f"bare aiohttp handler : {baseline['rps']:8.0f} req/s  p99 {baseline['p99_ms']:6.1f} ms")
    print(f"receiver (FULL sync) : {result['rps']:8.0f} req/s  p99 {result['p99_ms']:6.1f} ms")
    print(f"throughput ratio     : {result['rps'] / baseline['rps']:.2f}x the bare handler (target >= 0.5x)")
    print(f"p99 latency          : {result['p99_ms']:.1f} ms (target < 50 ms)")
    print(f"acknowledged / stored: {result['ok']} / {stored} ({'all stored' if stored >= result['ok'] else 'LOST EVENTS'})")
    print(f"socket errors        : {result['socket_errors']}")


if __name__ == "__main__":
    main()
