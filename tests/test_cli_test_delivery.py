"""``intulse-desktop test-delivery`` from the command line, with and without the app running."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from intulse_desktop import cli
from intulse_desktop.secrets import SecretStore
from intulse_desktop.service import Service
from intulse_desktop.settings import Settings

from .helpers.net import closed_port, closed_ports


@pytest.fixture(autouse=True)
def _logging(restore_logging):
    pass


async def run(*argv: str) -> int:
    return await asyncio.to_thread(cli.main, list(argv))


async def test_without_the_app_a_receiver_is_started_and_the_test_arrives(paths, capsys):
    Settings(listen_port=closed_port()).save(paths.settings_file)
    assert await run("test-delivery") == 0
    out = capsys.readouterr().out
    assert "receiver: a receiver started at" in out
    assert "ok: arrived in" in out


async def test_without_a_public_url_it_says_nothing_is_tested_from_outside(paths, capsys):
    Settings(listen_port=closed_port()).save(paths.settings_file)
    await run("test-delivery")
    assert "nothing to test from outside" in capsys.readouterr().err


async def test_the_running_app_receives_the_test(paths, capsys):
    secret = SecretStore(paths).webhook_secret()
    app = Service(paths.ensure(), Settings(), secret)
    await app.start()
    _, port = await app.listen("127.0.0.1", 0)
    notices = []
    app.bus.subscribe_tests(notices.append)
    Settings(listen_port=port, public_url=f"http://localhost:{port}").save(paths.settings_file)
    try:
        assert await run("test-delivery") == 0
        await asyncio.sleep(0)
    finally:
        await app.close()
    assert "receiver: the running intulse-desktop" in capsys.readouterr().out
    assert len(notices) == 1


async def test_an_unreachable_public_url_fails_with_1_and_says_what_to_do(paths, capsys):
    listen, public = closed_ports(2)  # the receiver must not be listening at the public URL
    Settings(listen_port=listen, public_url=f"http://127.0.0.1:{public}").save(paths.settings_file)
    assert await run("test-delivery") == 1
    out = capsys.readouterr().out
    assert "FAILED (refused)" in out
    assert "what to do: nothing listens there" in out


async def test_a_port_taken_by_another_program_fails_with_1(paths, aiohttp_server, capsys):
    async def other(request: web.Request) -> web.Response:
        return web.Response(text="someone else")

    app = web.Application()
    app.router.add_get("/{tail:.*}", other)
    server = await aiohttp_server(app)
    Settings(listen_port=server.port).save(paths.settings_file)
    assert await run("test-delivery") == 1
    assert f"cannot listen on 127.0.0.1:{server.port}" in capsys.readouterr().err


async def test_the_secret_is_not_printed(paths, capsys):
    Settings(listen_port=closed_port()).save(paths.settings_file)
    await run("test-delivery")
    captured = capsys.readouterr()
    assert SecretStore(paths).webhook_secret() not in captured.out + captured.err
