from __future__ import annotations

import socket

import aiohttp
import pytest

from intulse_desktop.paths import Paths
from intulse_desktop.service import ReceiverError, Service
from intulse_desktop.settings import Settings

from .helpers.builders import payload


@pytest.fixture
async def service(home):
    s = Service(Paths.resolve().ensure(), Settings(extension="204"), "secret-for-tests-0123456789")
    await s.start()
    yield s
    await s.close()


async def post(port, body, event_type="CallStarted"):
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/hooks/secret-for-tests-0123456789/{event_type}"
        async with session.post(url, json=body) as response:
            return response.status


async def test_listens_and_stores(service):
    _, port = await service.listen("127.0.0.1", 0)
    assert await post(port, payload("CallStarted")) == 200


async def test_rebinding_moves_to_the_new_port(service):
    _, old = await service.listen("127.0.0.1", 0)
    _, new = await service.listen("127.0.0.1", 0)
    assert new != old
    assert await post(new, payload("CallStarted")) == 200
    with pytest.raises(aiohttp.ClientConnectorError):
        await post(old, payload("CallStarted"))


async def test_a_taken_port_is_reported_and_the_old_one_keeps_working(service):
    _, old = await service.listen("127.0.0.1", 0)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ReceiverError, match="cannot listen on 127.0.0.1"):
            await service.listen("127.0.0.1", taken.getsockname()[1])
    assert service.address == ("127.0.0.1", old)
    assert await post(old, payload("CallStarted")) == 200


async def test_new_settings_change_who_i_am_without_restarting(service):
    _, port = await service.listen("127.0.0.1", 0)
    heard = []
    service.bus.subscribe(heard.append)
    service.apply(Settings(extension="205"))
    await post(port, payload("CallStarted"))
    assert [d.is_mine for d in heard] == [False]
