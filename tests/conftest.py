"""Shared fixtures: an isolated home for every test, Qt offscreen, no real keyring,
and a fake Intulse API that records requests."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

# Before anything imports Qt or keyring.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

from .helpers.builders import SECRET  # after the environment above
from .helpers.fakes import FakeIntulse
from .helpers.tunnels import FakeTunnels


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test touches the user's settings, keyring, autostart entries or a real API key."""
    user_home = tmp_path / "home"
    user_home.mkdir()
    monkeypatch.setenv("HOME", str(user_home))
    monkeypatch.setenv("USERPROFILE", str(user_home))  # Path.home() on Windows
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user_home / ".config"))
    monkeypatch.setenv("INTULSE_DESKTOP_HOME", str(tmp_path / "data"))
    for name in ("INTULSE_API_KEY", "INTULSE_API_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def keep_umask() -> Iterator[None]:
    """``cli.main`` makes the process's files private (umask 077); the next test starts as this one did."""
    mask = os.umask(0o022)
    os.umask(mask)
    yield
    os.umask(mask)


@pytest.fixture
def home(tmp_path) -> Path:
    """The app's data dir for this test (``INTULSE_DESKTOP_HOME``)."""
    return tmp_path / "data"


@pytest.fixture
def paths(home):
    """The app's files in this test's data dir (``INTULSE_DESKTOP_HOME``), folders created."""
    from intulse_desktop.paths import Paths

    return Paths.resolve().ensure()


@pytest.fixture
def store(tmp_path):
    """A log store of its own on ``tmp_path / "log.sqlite3"``, used directly (no writer)."""
    from intulse_desktop.store import Store

    s = Store(tmp_path / "log.sqlite3")
    yield s
    s.close()


@pytest.fixture
async def hub(tmp_path, broker):
    """``intulse-desktop hub`` in this process, on a free port of 127.0.0.1, data in ``tmp_path / "hub"``;
    with ``--broker`` when the test runs against the NATS backend (``backend``, below)."""
    from .helpers.hub import HubRunner

    runner = HubRunner(tmp_path / "hub", broker)
    await runner.start()
    yield runner
    await runner.stop()
    runner.users.close()


@pytest.fixture
async def writer(tmp_path):
    """The log's one writer, on ``tmp_path / "log.sqlite3"``."""
    from intulse_desktop.store.writer import Writer

    w = Writer(tmp_path / "log.sqlite3")
    await w.start()
    yield w
    await w.close()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The CLI replaces the root logger's handlers; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
async def fake_intulse(aiohttp_server) -> AsyncIterator[FakeIntulse]:
    fake = FakeIntulse()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    fake.release.set()


@pytest.fixture
def intulse_registry(fake_intulse, monkeypatch) -> FakeIntulse:
    """The fake Intulse keeping what is registered (``keeps``), reached through INTULSE_API_URL,
    with the key in INTULSE_API_KEY: what the app running a tunnel registers with."""
    from .helpers.builders import API_KEY

    monkeypatch.setenv("INTULSE_API_URL", fake_intulse.url)
    monkeypatch.setenv("INTULSE_API_KEY", API_KEY)
    fake_intulse.keeps = True
    return fake_intulse


@pytest.fixture
def fake_tunnels(tmp_path, monkeypatch) -> FakeTunnels:
    """The fake cloudflared, ngrok and tailscale first on PATH, for this process and its children."""
    fakes = FakeTunnels(tmp_path / "tunnels")
    for name, value in fakes.env().items():
        monkeypatch.setenv(name, value)
    return fakes


# --- the GUI -------------------------------------------------------------------------------


@pytest.fixture
def fake_intulse_qt(qloop) -> Iterator[FakeIntulse]:
    """``fake_intulse`` served on the GUI's qasync loop: a GUI test drives only that loop, so a
    server on pytest-asyncio's loop (``aiohttp_server``) would never answer it."""
    fake = FakeIntulse()
    runner = web.AppRunner(fake.app())
    qloop.run_until_complete(runner.setup())
    qloop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield fake
    fake.release.set()
    qloop.run_until_complete(runner.cleanup())


@pytest.fixture
def qloop(qapp):
    """A qasync loop on the test's QApplication: the app's own loop, driven by the test."""
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def me():
    from intulse_desktop.settings import Settings

    return Settings(
        extension="204", my_numbers=["+13175550100"], sound_ring=False, sound_missed=False, sound_text=False
    )


@pytest.fixture
def desktop(qloop, qtbot, paths, me):
    """The GUI on a real service and store, with a tray, and every opened URL recorded."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from intulse_desktop.secrets import CARDDAV_PASSWORD, SecretStore
    from intulse_desktop.service import Service
    from intulse_desktop.tasks import Tasks
    from intulse_desktop.ui.shell import Shell

    me.save(paths.settings_file)
    service = Service(paths, me, SECRET, carddav_password=lambda: SecretStore(paths).get(CARDDAV_PASSWORD))
    qloop.run_until_complete(service.start())
    opened: list = []
    gui = Shell(
        service,
        paths,
        Tasks(qloop),
        SecretStore(paths),
        open_url=lambda url: opened.append(bytes(url.toEncoded().data()).decode()),
        tray_available=lambda: True,
    )
    gui.opened = opened
    gui.start()
    yield gui
    gui.close()
    qloop.run_until_complete(gui.tasks.wait())
    qloop.run_until_complete(service.close())
    # Delete the widgets here, in the GUI thread: left to the garbage collector they may go
    # in whatever thread it runs next (the store's commit thread), which Qt warns about.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    del gui
    gc.collect()


@pytest.fixture
def dunst(tmp_path, request):
    """A real notification server (dunst) on its own X display and private session bus; its markup
    setting by indirect parametrisation ("no" unless asked)."""
    from .helpers.notification_desktop import NotificationDesktop

    server = NotificationDesktop(tmp_path / "notifications", getattr(request, "param", "no"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def web_files(qloop, monkeypatch):
    """Serve files on the app's own loop: call it with ``{path: (body, content_type)}``; it
    returns the base URL, and the list of paths requested. Any other path is a 404. The app
    fetches from 127.0.0.1 while this serves (the real rule: public addresses only)."""
    from intulse_desktop import fetch_rules

    monkeypatch.setattr(fetch_rules, "is_public_address", lambda address: True)
    runners = []

    def serve(bodies: dict[str, tuple[bytes, str]]) -> tuple[str, list[str]]:
        seen: list[str] = []

        async def handle(request: web.Request) -> web.Response:
            seen.append(request.path)
            if request.path in bodies:
                body, kind = bodies[request.path]
                return web.Response(body=body, content_type=kind)
            return web.Response(status=404)

        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app)
        qloop.run_until_complete(runner.setup())
        runners.append(runner)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        qloop.run_until_complete(web.SockSite(runner, sock).start())
        return f"http://127.0.0.1:{sock.getsockname()[1]}", seen

    yield serve
    for runner in runners:
        qloop.run_until_complete(runner.cleanup())


# --- contacts ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def radicale_server(tmp_path_factory):
    """A real CardDAV server (Radicale) on loopback, one for each test module that asks."""
    from .helpers.radicale import Radicale

    server = Radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    server.close()


@pytest.fixture
def radicale(radicale_server):
    """The server, with an empty address book of this test's own."""
    radicale_server.book = radicale_server.make_book()
    return radicale_server


# --- the office hub on NATS ----------------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``nats`` what starts the cluster: by a fixture, or by running against that backend."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_nats = callspec is not None and callspec.params.get("backend") == "nats"
        if on_nats or "nats_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.nats)


@pytest.fixture(scope="session")
def nats_cluster(tmp_path_factory):
    """A three-node NATS JetStream cluster on loopback, for the whole run (the stream is reset per test)."""
    from .helpers.natscluster import NatsCluster

    cluster = NatsCluster(tmp_path_factory.mktemp("nats"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def nats_url(nats_cluster) -> str:
    """The cluster's servers, with no events stream and no users bucket left from another test."""
    from .helpers.natscluster import reset

    asyncio.run(reset(nats_cluster.url))
    return nats_cluster.url


@pytest.fixture(params=["sqlite"])
def backend(request) -> str:
    """Where a hub keeps its log and users: its own SQLite files, or (``nats``) a NATS cluster. A test
    runs against both with ``@pytest.mark.parametrize("backend", ["sqlite", "nats"], indirect=True)``."""
    return request.param


@pytest.fixture
def broker(backend, request) -> str | None:
    """The NATS servers a ``hub --broker`` is given, or None for a hub with its own journal."""
    return request.getfixturevalue("nats_url") if backend == "nats" else None
