from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from intulse_desktop.events import parse
from intulse_desktop.paths import Paths
from intulse_desktop.service import NO_HUB_YET, ReceiverError, Service
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
    service.subscribe(heard.append)
    service.apply(Settings(extension="205"))
    await post(port, payload("CallStarted"))
    assert [d.is_mine for d in heard] == [False]


async def record_calls(service, ages_in_days):
    now = datetime.now(UTC)
    for n, age in enumerate(ages_in_days):
        body = payload("CallCompleted") | {"Id": f"c{n}", "StartUtc": (now - timedelta(days=age)).isoformat()}
        await service.write(lambda store, body=body: store.record(parse(body, "CallCompleted"), False, now))


async def call_ids(service):
    return await service.write(lambda store: sorted(c.id for c in store.calls()))


async def test_keep_pruned_deletes_what_is_older_than_the_days(service):
    await record_calls(service, [40, 35, 1])
    pruned = asyncio.Event()
    service.keep_pruned(30, pruned.set)
    await asyncio.wait_for(pruned.wait(), 5)
    assert await call_ids(service) == ["c2"]


async def test_keep_pruned_without_days_keeps_everything(service):
    service.keep_pruned(30)
    service.keep_pruned(None)
    assert not service.pruning


async def test_a_rotated_secret_refuses_the_old_urls(service):
    _, port = await service.listen("127.0.0.1", 0)
    service.rotate_secret("another-secret-0123456789abcdef")
    assert service.secret == "another-secret-0123456789abcdef"
    assert await post(port, payload("CallStarted")) == 404


async def test_receiving_from_a_hub_without_a_token_stops_listening_and_says_so(service):
    await service.receive_locally("127.0.0.1", 0)
    heard = []
    service.watch_hub(lambda state, detail: heard.append(state))
    await service.receive_from_hub("http://127.0.0.1:9", "")
    assert service.address is None
    assert heard[-1] == "rejected"
    assert service.hub_state == ("rejected", NO_HUB_YET)


async def test_receiving_locally_again_ends_the_hub_connection(service):
    await service.receive_from_hub("http://127.0.0.1:9", "")
    await service.receive_locally("127.0.0.1", 0)
    assert service.hub_state is None
