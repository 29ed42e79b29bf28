"""Test delivery: the receiver's test mode, and each way a delivery can fail, named."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from intulse_desktop import headless
from intulse_desktop.bus import Delivery, TestNotice
from intulse_desktop.delivery_check import Step, check_delivery, receiver_at, receiver_running
from intulse_desktop.receiver import TEST_HEADER, webhook_urls
from intulse_desktop.samples import sample
from intulse_desktop.sender import Failure
from intulse_desktop.service import ReceiverError, Service
from intulse_desktop.settings import Settings
from intulse_desktop.store import Store

from .helpers.net import closed_port
from .helpers.waiting import eventually

SECRET = "Kx7pQ2mV9zL4nR8tY1wE5uI0oA6sD3fGhJ"
NONCE = "n0nce-for-the-test"


@pytest.fixture
async def service(paths) -> AsyncIterator[Service]:
    """Our receiver, listening on a free port."""
    service = Service(paths, Settings(), SECRET)
    await service.start()
    await service.listen("127.0.0.1", 0)
    yield service
    await service.close()


def local(service: Service, **values) -> Settings:
    """Settings for this machine's receiver, as the user would have them."""
    return Settings(listen_port=service.address[1], **values)


async def serve(aiohttp_server, answer) -> str:
    """A server that answers every request with ``answer(request)``; its base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


# --- the receiver's test mode --------------------------------------------------------------


async def post_test(service: Service, body, nonce: str = NONCE, secret: str = SECRET):
    url = webhook_urls(local(service).local_url(), secret)["CallStarted"]
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers={TEST_HEADER: nonce}) as response,
    ):
        return response.status, await response.json()


async def test_a_test_delivery_is_answered_with_its_nonce(service):
    status, body = await post_test(service, sample("CallStarted"))
    assert status == 200
    assert body["test"] == NONCE
    assert body["stored"] is False


async def test_a_test_delivery_is_not_stored_but_leaves_a_delivery_line(service, paths):
    await post_test(service, sample("CallStarted"))
    await service.writer.close()  # commits what was queued
    store = Store(paths.database)
    try:
        assert store.calls() == []
        (line,) = store.deliveries()
        assert (line.event_type, line.http_status, line.stored, line.event_key) == ("test", 200, False, NONCE)
    finally:
        store.close()


async def test_a_test_delivery_is_published_as_a_test_notice_only(service):
    notices: list[TestNotice] = []
    deliveries: list[Delivery] = []
    service.bus.subscribe_tests(notices.append)
    service.bus.subscribe(deliveries.append)
    await post_test(service, sample("CallStarted"))
    await asyncio.sleep(0)  # the bus hears after the answer
    assert [(n.nonce, n.event_type) for n in notices] == [(NONCE, "CallStarted")]
    assert deliveries == []


async def test_a_test_delivery_gets_the_full_checks(service):
    status, body = await post_test(service, {"Direction": "sideways"})
    assert status == 422
    assert "test" not in body


async def test_a_test_delivery_with_the_wrong_secret_is_not_found(service):
    status, body = await post_test(service, sample("CallStarted"), secret="not-the-secret-at-all")
    assert (status, body) == (404, {"error": "not found"})


async def test_a_malformed_test_nonce_is_refused(service):
    status, _ = await post_test(service, sample("CallStarted"), nonce="<script>")
    assert status == 400


# --- check_delivery: success ---------------------------------------------------------------


async def test_a_delivery_that_arrives_reports_the_round_trip_time(service):
    result = await check_delivery(local(service), SECRET)
    assert result.ok
    assert result.kind is Step.ARRIVED
    assert result.rtt is not None
    assert 0 < result.rtt < 10
    assert result.message == f"arrived in {result.rtt * 1000:.0f} ms"


async def test_the_public_url_is_tested_when_set(service):
    public = f"http://localhost:{service.address[1]}"
    result = await check_delivery(local(service, public_url=public), SECRET)
    assert result.ok
    assert result.from_outside
    assert result.url == f"{public}/hooks/<secret>/CallStarted"


async def test_without_a_public_url_the_local_url_is_tested_and_it_says_so(service):
    result = await check_delivery(local(service), SECRET)
    assert not result.from_outside
    assert result.url.startswith(f"http://127.0.0.1:{service.address[1]}/")


async def test_the_secret_never_appears_in_the_result(service):
    result = await check_delivery(local(service), SECRET)
    assert SECRET not in repr(result)


# --- check_delivery: each failure named ----------------------------------------------------


async def test_a_name_that_does_not_resolve(service):
    result = await check_delivery(local(service, public_url="https://tunnel.intulse-desktop.invalid"), SECRET)
    assert (result.ok, result.kind) == (False, Failure.DNS)
    assert "tunnel" in result.advice


async def test_a_refused_connection_names_the_listening_port(service):
    result = await check_delivery(local(service, public_url=f"http://127.0.0.1:{closed_port()}"), SECRET)
    assert result.kind is Failure.REFUSED
    assert "port forward" in result.advice
    assert f"127.0.0.1:{service.address[1]}" in result.advice


async def test_a_receiver_with_another_secret_is_a_wrong_secret(service):
    result = await check_delivery(local(service), "a-different-secret-0123456789")
    assert result.kind is Step.WRONG_SECRET
    assert "register the webhooks again" in result.advice


async def test_a_server_that_never_answers_is_a_timeout(service):
    release = asyncio.Event()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        silent = local(service, public_url=f"http://127.0.0.1:{port}")
        result = await check_delivery(silent, SECRET, timeout=0.3)
    finally:
        release.set()
        server.close()
        await server.wait_closed()
    assert result.kind is Failure.TIMEOUT
    assert "firewall" in result.advice


async def test_a_200_without_the_nonce_is_not_our_receiver(service, aiohttp_server):
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="<html>Welcome to your router</html>", content_type="text/html")

    result = await check_delivery(local(service, public_url=await serve(aiohttp_server, ok)), SECRET)
    assert (result.ok, result.kind) == (False, Step.NOT_OUR_RECEIVER)
    assert "HTTP 200" in result.message


async def test_a_tunnel_that_cannot_reach_the_receiver_is_not_our_receiver(service, aiohttp_server):
    async def bad_gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="Bad gateway")

    result = await check_delivery(local(service, public_url=await serve(aiohttp_server, bad_gateway)), SECRET)
    assert result.kind is Step.NOT_OUR_RECEIVER
    assert f"point it at http://127.0.0.1:{service.address[1]}" in result.advice


async def test_https_to_a_plain_http_port_is_a_tls_failure(service):
    https = f"https://127.0.0.1:{service.address[1]}"  # the receiver speaks plain HTTP
    result = await check_delivery(local(service, public_url=https), SECRET)
    assert result.kind is Failure.TLS
    assert "https://" in result.advice


async def test_a_redirect_is_reported_not_followed(service, aiohttp_server):
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(f"https://elsewhere.example{request.path}")

    result = await check_delivery(local(service, public_url=await serve(aiohttp_server, moved)), SECRET)
    assert result.kind is Step.REDIRECTED
    assert "https://elsewhere.example/hooks/<secret>/CallStarted" in result.message


async def test_a_receiver_that_refuses_the_test_says_why(service, aiohttp_server):
    async def unavailable(request: web.Request) -> web.Response:
        return web.json_response({"error": "the call log cannot be written\x1b[2J"}, status=503)

    result = await check_delivery(local(service, public_url=await serve(aiohttp_server, unavailable)), SECRET)
    assert result.kind is Step.REJECTED
    assert result.message.endswith("(HTTP 503): the call log cannot be written\\x1b[2J")  # shown, not obeyed


# --- a receiver for the command line -------------------------------------------------------


async def test_without_a_running_app_a_receiver_is_started_for_the_test(paths):
    with_port = Settings(listen_port=closed_port())
    async with receiver_running(paths, with_port, SECRET) as which:
        assert "started" in which
        assert (await check_delivery(with_port, SECRET)).ok
    assert not await receiver_at(with_port.local_url())  # and it is gone afterwards


async def test_a_running_app_is_relied_on(service, paths):
    async with receiver_running(paths, local(service), SECRET) as which:
        assert which.startswith("the running intulse-desktop")


async def test_a_port_held_by_another_program_is_an_error(paths, aiohttp_server):
    async def other(request: web.Request) -> web.Response:
        return web.Response(text="not us")

    port = int((await serve(aiohttp_server, other)).rsplit(":", 1)[1])
    with pytest.raises(ReceiverError):
        async with receiver_running(paths, Settings(listen_port=port), SECRET):
            pass


async def test_healthz_of_something_else_is_not_our_receiver(aiohttp_server):
    async def other(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})  # no version: not ours

    assert not await receiver_at(await serve(aiohttp_server, other))


async def test_a_degraded_receiver_is_still_ours(aiohttp_server):
    async def degraded(request: web.Request) -> web.Response:
        health = {"status": "degraded", "version": "1.0", "reason": "the call log cannot be written"}
        return web.json_response(health, status=503)

    assert await receiver_at(await serve(aiohttp_server, degraded))


async def test_headless_prints_a_line_when_a_test_arrives(paths):
    out = io.StringIO()
    service = Service(paths, Settings(), SECRET)
    arrived = asyncio.Event()
    service.bus.subscribe_tests(lambda notice: arrived.set())
    task = asyncio.create_task(headless.run(service, "127.0.0.1", 0, out=out))
    try:
        async with asyncio.timeout(5):
            await eventually(lambda: service.address is not None, what="the receiver to listen")
            await post_test(service, sample("CallStarted"))
            await arrived.wait()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert out.getvalue().endswith("test CallStarted (not stored)\n")
