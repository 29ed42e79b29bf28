from __future__ import annotations

import asyncio
import gzip
import io
import json
import logging
import zlib

import pytest
from aiohttp.test_utils import TestServer

from intulse_desktop.bus import Bus
from intulse_desktop.matching import Matcher
from intulse_desktop.receiver import MAX_BODY, Receiver, server_options, webhook_urls
from intulse_desktop.store import Store, StoreError

from .helpers.builders import payload
from .helpers.waiting import eventually

SECRET = "s3cr3t-Zx9_abcdefghijklmnopqrstuvwxyz012345"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def bus():
    return Bus()


@pytest.fixture
def heard(bus):
    deliveries = []
    bus.subscribe(deliveries.append)
    return deliveries


@pytest.fixture
async def client(aiohttp_client, writer, bus):
    receiver = Receiver(
        writer, bus, SECRET, Matcher.create("204", None, ["+13175550100"], "US"), body_timeout=0.5
    )
    server = TestServer(receiver.app())
    await server.start_server(**server_options())  # as the app runs it (aiohttp_client drops server_kwargs)
    return await aiohttp_client(server)


@pytest.fixture
def stored(tmp_path):
    """What the log holds now, read as another process would."""

    def read():
        store = Store(tmp_path / "log.sqlite3")
        try:
            return store.calls(), store.messages(), store.presence()
        finally:
            store.close()

    return read


def hook(event_type=None):
    return f"/hooks/{SECRET}" + (f"/{event_type}" if event_type else "")


def nothing_stored(stored):
    return stored() == ([], [], [])


@pytest.mark.parametrize(
    ("name", "event_type"),
    [
        ("CallStarted", "CallStarted"),
        ("CallCompleted", "CallCompleted"),
        ("CallCompleted-missed", "CallCompleted"),
        ("ExtensionUpdated", "ExtensionUpdated"),
        ("TextMessageReceived", "TextMessageReceived"),
    ],
)
async def test_sample_payloads_are_stored_and_acknowledged(client, stored, name, event_type):
    response = await client.post(hook(event_type), json=payload(name))
    assert response.status == 200
    assert await response.json() == {"stored": True, "new": True, "type": event_type}
    assert sum(map(len, stored())) == 1


@pytest.mark.parametrize("name", ["CallStarted", "CallCompleted", "ExtensionUpdated", "TextMessageReceived"])
async def test_the_type_is_recognised_from_the_shape_without_a_type_in_the_url(client, name):
    response = await client.post(hook(), json=payload(name))
    assert (await response.json())["type"] == name


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "text/plain; charset=utf-8", "application/json; charset=utf-8"]
)
async def test_json_is_accepted_with_or_without_a_content_type(client, stored, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps(payload("CallStarted")).encode()
    response = await client.post(
        hook("CallStarted"), data=body, headers=headers, skip_auto_headers=["Content-Type"]
    )
    assert response.status == 200
    assert len(stored()[0]) == 1


async def test_a_utf8_bom_is_accepted(client):
    body = b"\xef\xbb\xbf" + json.dumps(payload("CallStarted")).encode()
    assert (await client.post(hook("CallStarted"), data=body, headers=JSON)).status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/hooks/wrong-secret/CallStarted",
        "/hooks/wrong-secret",
        "/hooks//CallStarted",
        "/hooks",
        "/hooks/CallStarted",
        f"/hooks/{SECRET[:-1]}/CallStarted",
        f"/hooks/{SECRET}x/CallStarted",
        "/anything",
    ],
)
async def test_a_wrong_or_missing_secret_is_just_not_found(client, stored, path):
    response = await client.post(path, json=payload("CallStarted"))
    assert response.status == 404
    assert await response.json() == {"error": "not found"}
    assert nothing_stored(stored)


async def test_wrong_secret_with_get_is_also_not_found(client):
    assert (await client.get("/hooks/wrong/CallStarted")).status == 404


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_anything_but_post_on_a_hook_is_405(client, stored, method):
    response = await client.request(method, hook("CallStarted"), json=payload("CallStarted"))
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert "error" in await response.json()
    assert nothing_stored(stored)


async def test_unknown_event_type_is_404_with_a_reason(client, stored):
    response = await client.post(hook("CallRinging"), json=payload("CallStarted"))
    assert response.status == 404
    assert "expected one of" in (await response.json())["error"]
    assert nothing_stored(stored)


async def test_healthz_gives_version_and_uptime_but_no_secret(client):
    response = await client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert "version" in body
    assert body["uptime_seconds"] >= 0
    assert SECRET not in await response.text()


async def test_a_body_over_the_limit_is_413_by_content_length(client, stored):
    body = json.dumps(payload("CallStarted") | {"Pad": "x" * MAX_BODY}).encode()
    response = await client.post(hook("CallStarted"), data=io.BytesIO(body), headers=JSON)
    assert response.status == 413
    assert "error" in await response.json()
    assert nothing_stored(stored)


async def test_a_chunked_body_over_the_limit_is_413_without_reading_it_all(client, stored):
    sent = 0

    async def endless():
        nonlocal sent
        yield b'{"Pad": "'
        for _ in range(256):  # 32 MiB offered; the receiver stops after 1 MiB
            chunk = b"x" * 131072
            sent += len(chunk)
            yield chunk

    response = await client.post(hook("CallStarted"), data=endless(), headers=JSON)
    assert response.status == 413
    assert sent < 16 * MAX_BODY  # cut off: what got out fills the sockets' buffers, not the whole body
    assert nothing_stored(stored)


async def test_a_compressed_body_is_limited_after_decompression(client, stored):
    bomb = gzip.compress(b'{"Pad": "' + b"x" * (4 * MAX_BODY) + b'"}')
    response = await client.post(hook("CallStarted"), data=bomb, headers=JSON | {"Content-Encoding": "gzip"})
    assert response.status == 413
    assert nothing_stored(stored)


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # raw, as some send it
    ],
)
async def test_a_gzip_or_deflate_body_is_stored(client, stored, coding, compress):
    body = compress(json.dumps(payload("CallStarted")).encode())
    response = await client.post(hook("CallStarted"), data=body, headers=JSON | {"Content-Encoding": coding})
    assert response.status == 200
    assert len(stored()[0]) == 1


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip, br", "compress"])
async def test_a_content_encoding_other_than_gzip_or_deflate_is_415_without_a_traceback(
    client, stored, caplog, coding
):
    body = json.dumps(payload("CallStarted")).encode()
    response = await client.post(hook("CallStarted"), data=body, headers=JSON | {"Content-Encoding": coding})
    assert response.status == 415
    assert "Content-Encoding must be gzip or deflate" in (await response.json())["error"]
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert nothing_stored(stored)


async def test_a_corrupt_gzip_body_is_400(client, stored):
    body = gzip.compress(json.dumps(payload("CallStarted")).encode())[:-12] + b"garbage-tail"
    response = await client.post(hook("CallStarted"), data=body, headers=JSON | {"Content-Encoding": "gzip"})
    assert response.status == 400
    assert nothing_stored(stored)


async def test_a_trickled_body_is_cut_off(client, stored):
    async def trickle():
        yield b'{"Id": '
        await asyncio.sleep(2)
        yield b'"1"}'

    response = await client.post(hook("CallStarted"), data=trickle(), headers=JSON)
    assert response.status == 408
    assert nothing_stored(stored)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/x-www-form-urlencoded", b"Id=1&Extension=204"),
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="Id"\r\n\r\n1\r\n--xyz--\r\n',
        ),
    ],
)
async def test_form_and_multipart_bodies_are_415(client, stored, content_type, data):
    response = await client.post(hook("CallStarted"), data=data, headers={"Content-Type": content_type})
    assert response.status == 415
    assert "JSON" in (await response.json())["error"]
    assert nothing_stored(stored)


@pytest.mark.parametrize(
    "data",
    [b"{bad json", b"", b"   ", b"\xff\xfe{}", b'{"Id": NaN}', b"[" * 100000 + b"]" * 100000],
)
async def test_malformed_json_or_bad_utf8_is_400(client, stored, data):
    response = await client.post(hook("CallStarted"), data=data, headers=JSON)
    assert response.status == 400
    assert (await response.json())["error"]
    assert nothing_stored(stored)


@pytest.mark.parametrize("body", [[], [1, 2], "text", 42, None])
async def test_not_a_json_object_is_422(client, stored, body):
    response = await client.post(hook("CallStarted"), data=json.dumps(body), headers=JSON)
    assert response.status == 422
    assert nothing_stored(stored)


async def test_missing_and_wrong_fields_are_422_naming_them(client, stored):
    body = payload("CallStarted")
    del body["Extension"]
    body["StartUtc"] = "not a date"
    response = await client.post(hook("CallStarted"), json=body)
    assert response.status == 422
    assert set((await response.json())["fields"]) == {"Extension", "StartUtc"}
    assert nothing_stored(stored)


async def test_an_unpaired_surrogate_is_422_naming_the_field_and_a_pair_is_stored(client, stored):
    # Python's json module decodes a lone "\\ud800" escape into text no database can hold.
    body = json.dumps(payload("CallStarted") | {"RemotePartyName": "\ud800 PLUMBING"})
    response = await client.post(hook("CallStarted"), data=body, headers=JSON)
    assert response.status == 422
    assert (await response.json())["fields"] == ["RemotePartyName"]
    assert nothing_stored(stored)

    text = payload("TextMessageReceived")
    text["Attachments"][0]["Name"] = "photo\udc00.jpg"
    response = await client.post(hook("TextMessageReceived"), data=json.dumps(text), headers=JSON)
    assert (response.status, (await response.json())["fields"]) == (422, ["Attachments.0.Name"])
    assert nothing_stored(stored)

    body = json.dumps(
        payload("CallStarted") | {"RemotePartyName": "\U0001f527 PLUMBING"}
    )  # escaped as a pair
    assert "\\ud83d\\udd27" in body
    assert (await client.post(hook("CallStarted"), data=body, headers=JSON)).status == 200
    assert stored()[0][0].remote_party_name == "\U0001f527 PLUMBING"


@pytest.mark.parametrize(
    ("event_type", "field", "value"),
    [
        ("CallCompleted", "UserId", 2**63),
        ("CallCompleted", "ClientId", -(2**63) - 1),
        ("CallCompleted", "DurationInSeconds", 10**30),
        ("TextMessageReceived", "Id", 2**64),
    ],
)
async def test_a_number_past_64_bits_is_422_naming_the_field(client, stored, event_type, field, value):
    response = await client.post(hook(event_type), json=payload(event_type) | {field: value})
    assert response.status == 422
    assert (await response.json())["fields"] == [field]
    assert nothing_stored(stored)


async def test_a_name_past_its_bound_is_422_naming_the_field(client, stored):
    body = payload("CallStarted") | {"RemotePartyName": "A" * 100_000}
    response = await client.post(hook("CallStarted"), json=body)
    assert response.status == 422
    assert (await response.json())["fields"] == ["RemotePartyName"]
    assert nothing_stored(stored)


async def test_a_failure_of_ours_is_a_500_with_a_json_reason(client, stored, monkeypatch, caplog):
    def broken(self, event):
        raise RuntimeError("a bug")

    monkeypatch.setattr(Matcher, "is_mine", broken)
    response = await client.post(hook("CallStarted"), json=payload("CallStarted"))
    assert response.status == 500
    assert "log" in (await response.json())["error"]
    assert "a bug" in caplog.text
    assert nothing_stored(stored)


async def test_a_shape_that_cannot_be_recognised_is_422(client, stored):
    response = await client.post(hook(), json={"Hello": "there"})
    assert response.status == 422
    assert nothing_stored(stored)


async def test_rejections_with_the_right_secret_are_kept_for_troubleshooting(client, writer):
    await client.post(hook("CallStarted"), json={"Id": "1"})
    deliveries = await writer.run(lambda s: s.deliveries())
    assert [(d.event_type, d.http_status, d.stored) for d in deliveries] == [("CallStarted", 422, False)]


async def test_out_of_order_deliveries_make_one_completed_call(client, stored):
    assert (await client.post(hook("CallCompleted"), json=payload("CallCompleted"))).status == 200
    response = await client.post(hook("CallStarted"), json=payload("CallStarted"))
    assert (await response.json())["new"] is False
    [row] = stored()[0]
    assert row.outcome == "answered"


async def test_twenty_identical_deliveries_at_once_store_one_and_report_one_new(client, stored):
    responses = await asyncio.gather(
        *(client.post(hook("CallCompleted"), json=payload("CallCompleted")) for _ in range(20))
    )
    answers = [await r.json() for r in responses]
    assert all(r.status == 200 for r in responses)
    assert sum(a["new"] for a in answers) == 1
    assert len(stored()[0]) == 1


async def test_twenty_mixed_deliveries_at_once_in_any_order(client, stored):
    bodies = []
    for n in range(10):
        bodies.append(("CallStarted", payload("CallStarted") | {"Id": f"c{n}"}))
        bodies.append(("CallCompleted", payload("CallCompleted") | {"Id": f"c{n}"}))
    bodies.reverse()
    responses = await asyncio.gather(*(client.post(hook(t), json=b) for t, b in bodies))
    assert all(r.status == 200 for r in responses)
    calls = stored()[0]
    assert len(calls) == 10
    assert {c.outcome for c in calls} == {"answered"}


async def test_subscribers_hear_stored_events_with_new_and_mine(client, heard, stored):
    await client.post(hook("CallStarted"), json=payload("CallStarted"))  # ext 204: mine
    await client.post(hook("CallStarted"), json=payload("CallStarted"))  # repeat
    await client.post(
        hook("TextMessageReceived"), json=payload("TextMessageReceived") | {"To": "+13175550999"}
    )
    await asyncio.sleep(0)
    assert [(d.event.TYPE, d.is_new, d.is_mine) for d in heard] == [
        ("CallStarted", True, True),
        ("CallStarted", False, True),
        ("TextMessageReceived", True, False),
    ]


async def test_subscribers_hear_only_after_the_commit(client, bus, tmp_path):
    seen_in_store = []

    def check(delivery):
        store = Store(tmp_path / "log.sqlite3")
        seen_in_store.append(store.call(delivery.event.id) is not None)
        store.close()

    bus.subscribe(check)
    await client.post(hook("CallStarted"), json=payload("CallStarted"))
    await asyncio.sleep(0)
    assert seen_in_store == [True]


async def test_nothing_is_heard_about_rejected_deliveries(client, heard):
    await client.post(hook("CallStarted"), json={"Id": "1"})
    await client.post("/hooks/wrong/CallStarted", json=payload("CallStarted"))
    await client.post(hook("CallStarted"), json=payload("CallStarted") | {"Id": "accepted"})
    await eventually(lambda: heard, what="the accepted delivery")  # heard in order: the rejected first
    assert [d.event.id for d in heard] == ["accepted"]


async def test_a_store_that_cannot_write_answers_503_with_retry_after(client, writer, heard):
    with pytest.raises(StoreError):  # from now on, every write fails
        await writer.run(lambda s: s._db.execute("PRAGMA query_only = ON"))
    response = await client.post(hook("CallStarted"), json=payload("CallStarted"))
    assert response.status == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "error" in await response.json()
    await asyncio.sleep(0)
    assert heard == []


async def test_healthz_says_degraded_with_a_reason_while_deliveries_get_503(client, writer):
    with pytest.raises(StoreError):  # from now on, every write fails
        await writer.run(lambda s: s._db.execute("PRAGMA query_only = ON"))
    assert (await client.post(hook("CallStarted"), json=payload("CallStarted"))).status == 503
    response = await client.get("/healthz")
    assert response.status == 503
    health = await response.json()
    assert health["status"] == "degraded"
    assert health["reason"].startswith("the call log cannot be written (since ")
    assert SECRET not in await response.text()


async def test_healthz_says_ok_again_once_a_delivery_is_stored(client, writer, monkeypatch):
    async def disk_full(*args):
        raise StoreError("database or disk is full")

    monkeypatch.setattr(writer, "record", disk_full)
    assert (await client.post(hook("CallStarted"), json=payload("CallStarted"))).status == 503
    monkeypatch.undo()
    assert (await client.post(hook("CallStarted"), json=payload("CallStarted"))).status == 200
    response = await client.get("/healthz")
    assert (response.status, (await response.json())["status"]) == (200, "ok")


async def test_a_listener_that_fails_does_not_fail_the_delivery_or_the_listeners_after_it(client, bus):
    later = []
    bus.subscribe(lambda d: 1 / 0)
    bus.subscribe(later.append)
    response = await client.post(hook("CallStarted"), json=payload("CallStarted"))
    await asyncio.sleep(0)  # listeners hear of it after the answer
    assert response.status == 200
    assert len(later) == 1


async def test_the_secret_appears_in_no_log_line(client, caplog):
    caplog.set_level(logging.DEBUG)
    await client.post(hook("CallStarted"), json=payload("CallStarted"))
    await client.post(hook("CallStarted"), json={"Id": "1"})
    await client.post(hook("Nope"), json={})
    await client.get(hook("CallStarted"))
    await client.post(hook(), data=b"{", headers=JSON)
    assert caplog.records, "the requests were logged"
    assert "/hooks/<secret>/CallStarted" in caplog.text
    assert SECRET not in caplog.text


def test_webhook_urls_give_each_type_its_own_path():
    urls = webhook_urls("https://pbx.example.com", "abc")
    assert urls == {
        t: f"https://pbx.example.com/hooks/abc/{t}"
        for t in ("CallStarted", "CallCompleted", "ExtensionUpdated", "TextMessageReceived")
    }


async def test_while_draining_new_deliveries_are_refused_with_retry_after(
    aiohttp_client, writer, bus, tmp_path
):
    receiver = Receiver(writer, bus, SECRET, Matcher(), body_timeout=5)
    client = await aiohttp_client(receiver.app())
    release = asyncio.Event()

    async def slow_body():
        yield b'{"Id": "slow", "Extension": "204", "Direction": "Inbound", '
        await release.wait()
        yield b'"StartUtc": "2026-11-26T04:10:11Z"}'

    in_flight = asyncio.create_task(client.post(hook("CallStarted"), data=slow_body(), headers=JSON))
    await eventually(lambda: receiver._in_flight, what="the slow delivery to be under way")
    drained = asyncio.create_task(receiver.drain(5))
    await asyncio.sleep(0.05)
    refused = await client.post(hook("CallStarted"), json=payload("CallStarted"))
    assert refused.status == 503
    assert "Retry-After" in refused.headers
    assert not drained.done()
    release.set()
    assert (await in_flight).status == 200
    assert await drained is True
