"""The office hub with two desktops: own events only, catching up, revoking, restarting, refusing."""

from __future__ import annotations

import asyncio
from datetime import UTC

import aiohttp
import pytest

from intulse_desktop.hub import client as hub_client
from intulse_desktop.hub import jetstream
from intulse_desktop.hub import server as hub_module
from intulse_desktop.hub.client import stream_url
from intulse_desktop.store import Store
from intulse_desktop.store import journal as store_module

from .helpers.builders import payload
from .helpers.hub import SECRET, Desk, HubRunner
from .helpers.net import closed_port

A_NUMBER = "+13175550100"
B_NUMBER = "+13175550101"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    """Reconnect within milliseconds, so a test of reconnecting takes no real backoff."""
    monkeypatch.setattr(hub_client, "backoff", lambda attempt: 0.01)


BOTH = pytest.mark.parametrize("backend", ["sqlite", "nats"], indirect=True)  # own journal, or NATS


@pytest.fixture
async def desks(tmp_path, hub):
    """Desktop a (ext 204, A_NUMBER) and desktop b (ext 205, B_NUMBER), connected."""
    made = []
    for name, extension, number in (("a", "204", A_NUMBER), ("b", "205", B_NUMBER)):
        _, token = await hub.add_user(extension, [number])
        desk = Desk(tmp_path / name, extension, [number])
        desk.token = token
        await desk.connect(hub.url(), token)
        await desk.until(lambda desk=desk: desk.client.state == "connected")
        made.append(desk)
    yield made
    for desk in made:
        await desk.quit()


def call(n: int, extension: str) -> dict:
    return {"Id": f"call-{n}", "LinkedId": f"call-{n}", "Extension": extension, "UserId": None}


@BOTH
async def test_each_desktop_gets_only_its_own_calls_texts_and_presence(hub, desks):
    a, b = desks
    await hub.post("CallStarted", **call(1, "204"))
    await hub.post("CallStarted", **call(2, "205"))
    await hub.post("TextMessageReceived", Id=11, To=A_NUMBER)
    await hub.post("TextMessageReceived", Id=12, To="(317) 555-0101")  # B's number, written otherwise
    await hub.post("ExtensionUpdated", Extension="205", Status="RINGING")
    await hub.post("ExtensionUpdated", Extension="204", Status="INUSE")
    await a.until(lambda: len(a.got) == 3)
    await b.until(lambda: len(b.got) == 3)
    await hub.post("CallStarted", **call(3, "204"))  # the last one: everything before it has been sent
    await hub.post("CallStarted", **call(4, "205"))
    await a.until(lambda: len(a.got) == 4)
    await b.until(lambda: len(b.got) == 4)
    assert a.ids() == [
        "CallStarted:call-1",
        "TextMessageReceived:11",
        "ExtensionUpdated:204=INUSE",
        "CallStarted:call-3",
    ]
    assert b.ids() == [
        "CallStarted:call-2",
        "TextMessageReceived:12",
        "ExtensionUpdated:205=RINGING",
        "CallStarted:call-4",
    ]
    assert all(d.is_mine and d.is_new and not d.caught_up for d in a.got + b.got)


async def test_a_desktop_stores_what_it_receives_in_its_own_log(hub, desks):
    a, _ = desks
    await hub.post("CallStarted", **call(1, "204"))
    await a.until(lambda: len(a.got) == 1)
    store = Store(a.paths.database)
    try:
        assert store.call("call-1").extension == "204"
        assert store.hub_cursor() == a.client.position
    finally:
        store.close()


@BOTH
async def test_a_call_for_my_user_id_on_another_extension_reaches_me(hub, tmp_path):
    _, token = await hub.add_user("204", user_id=77)
    desk = Desk(tmp_path / "c", "204", user_id=77)
    await desk.connect(hub.url(), token)
    await desk.until(lambda: desk.client.state == "connected")
    await hub.post("CallStarted", Id="call-9", Extension="999", UserId=77)
    await desk.until(lambda: len(desk.got) == 1)
    assert desk.ids() == ["CallStarted:call-9"]
    await desk.quit()


@BOTH
@pytest.mark.parametrize(
    ("presence", "expected"),
    [("", ["204=BUSY"]), (("206",), ["204=BUSY", "206=BUSY"]), ("all", ["204=BUSY", "206=BUSY", "207=BUSY"])],
)
async def test_presence_of_other_extensions_only_as_allowed(hub, tmp_path, presence, expected):
    _, token = await hub.add_user("204", presence=presence)
    desk = Desk(tmp_path / "c", "204")
    await desk.connect(hub.url(), token)
    await desk.until(lambda: desk.client.state == "connected")
    for extension in ("206", "207", "204"):
        await hub.post("ExtensionUpdated", Extension=extension, Status="BUSY")
    await desk.until(lambda: "ExtensionUpdated:204=BUSY" in desk.ids())
    assert desk.ids() == [f"ExtensionUpdated:{e}" for e in sorted(expected, key=lambda e: e[:3] == "204")]
    await desk.quit()


@BOTH
async def test_presence_shared_as_state_only_leaves_out_who_others_talk_to(hub, tmp_path):
    _, token = await hub.add_user("204", presence="all", presence_lines=False)
    desk = Desk(tmp_path / "c", "204")
    await desk.connect(hub.url(), token)
    await desk.until(lambda: desk.client.state == "connected")
    line = {"ConnectedLineName": "Dana Whitfield", "ConnectedLineNumber": "+13175550142"}
    await hub.post("ExtensionUpdated", Extension="206", Status="INUSE", **line)
    await hub.post("ExtensionUpdated", Extension="204", Status="INUSE", **line)
    await desk.until(lambda: len(desk.got) == 2)
    other, own = (d.event for d in desk.got)
    assert (other.extension, other.state, other.connected_line_name, other.connected_line_number) == (
        "206",
        "in_use",
        "",
        "",
    )
    assert (own.connected_line_name, own.connected_line_number) == ("Dana Whitfield", "+13175550142")
    await desk.quit()


@BOTH
async def test_an_offline_desktop_catches_up_without_loss_or_repeats(hub, desks):
    a, b = desks
    await hub.post("CallStarted", **call(1, "204"))
    await a.until(lambda: len(a.got) == 1)
    await a.quit()  # the laptop's lid closes
    for n in (2, 3, 4):
        await hub.post("CallStarted", **call(n, "204"))
        await hub.post("CallStarted", **call(100 + n, "205"))
    await b.until(lambda: len(b.got) == 3)
    await a.connect(hub.url(), a.token)  # the app starts again: the cursor comes from its log
    await a.until(lambda: len(a.got) == 4)
    await hub.post("CallStarted", **call(5, "204"))
    await a.until(lambda: len(a.got) == 5)
    assert a.ids() == [f"CallStarted:call-{n}" for n in range(1, 6)]
    assert [d.caught_up for d in a.got] == [False, True, True, True, False]
    assert all(d.is_new for d in a.got)


@BOTH
async def test_catching_up_from_older_than_the_ring_reads_the_journal_a_page_at_a_time(
    hub, desks, monkeypatch
):
    monkeypatch.setattr(hub_module, "RING", 2)  # only the newest 2-4 entries in memory
    monkeypatch.setattr(hub_module, "PAGE", 2)
    monkeypatch.setattr(jetstream, "TAIL", 1)  # and (NATS) 1-2 in the stream's own tail: read the stream
    a, b = desks
    await a.quit()
    for n in range(1, 8):
        await hub.post("CallStarted", **call(n, "204"))
        await hub.post("CallStarted", **call(100 + n, "205"))
    await b.until(lambda: len(b.got) == 7)
    assert hub.hub._ring[0].seq > 1  # a's cursor (#0) is older than anything in memory
    await a.connect(hub.url(), a.token)
    await a.until(lambda: a.client.state == "connected")
    await hub.post("CallStarted", **call(8, "204"))  # live, after catching up
    await a.until(lambda: "CallStarted:call-8" in a.ids())
    assert a.ids() == [f"CallStarted:call-{n}" for n in range(1, 9)]


@BOTH
async def test_a_cursor_from_another_hubs_journal_gets_what_comes_next_not_this_hubs_past(hub, tmp_path):
    for n in (1, 2, 3):
        await hub.post("CallStarted", **call(n, "204"))
    _, token = await hub.add_user("204")
    desk = Desk(tmp_path / "moved", "204")
    store = Store(desk.paths.database)  # this desktop was served by another hub, up to its #1
    try:
        store.set_hub_cursor("another-hubs-journal", 1)
    finally:
        store.close()
    await desk.connect(hub.url(), token)
    await desk.until(lambda: desk.client.state == "connected")
    await hub.post("CallStarted", **call(4, "204"))
    await desk.until(lambda: "CallStarted:call-4" in desk.ids())
    assert desk.ids() == ["CallStarted:call-4"]
    await desk.quit()


async def test_a_desktop_away_longer_than_the_journal_reaches_gets_what_remains_and_a_warning(
    hub, desks, monkeypatch, caplog
):
    monkeypatch.setattr(store_module, "MAX_JOURNAL", 2)  # the journal keeps the newest 2 entries
    a, _ = desks
    await hub.post("CallStarted", **call(1, "204"))
    await a.until(lambda: len(a.got) == 1)
    await a.quit()
    for n in range(2, 7):
        await hub.post("CallStarted", **call(n, "204"))
    await a.connect(hub.url(), a.token)
    await a.until(lambda: a.client.state == "connected")
    await hub.post("CallStarted", **call(7, "204"))  # live, after catching up: nothing repeated before it
    await a.until(lambda: "CallStarted:call-7" in a.ids())
    assert a.ids() == ["CallStarted:call-1", "CallStarted:call-5", "CallStarted:call-6", "CallStarted:call-7"]
    assert "no longer reaches back" in caplog.text


@BOTH
async def test_a_burst_larger_than_the_live_queue_arrives_whole_and_once(hub, desks, monkeypatch):
    monkeypatch.setattr(hub_module, "MAX_QUEUE", 2)
    a, _ = desks
    await asyncio.gather(*(hub.post("CallStarted", **call(n, "204")) for n in range(30)))
    await a.until(lambda: len(a.got) >= 30)
    await hub.post("CallStarted", **call(99, "204"))
    await a.until(lambda: len(a.got) >= 31)
    assert sorted(a.ids()) == sorted(f"CallStarted:call-{n}" for n in [*range(30), 99])


@pytest.fixture
def frequent_positions(monkeypatch):
    monkeypatch.setattr(hub_module, "POSITION_SECONDS", 0.05)


async def test_a_quiet_desktop_is_told_how_far_it_is_served(frequent_positions, hub, desks):
    a, b = desks
    for n in (1, 2, 3):
        await hub.post("CallStarted", **call(n, "205"))
    await b.until(lambda: len(b.got) == 3)
    await a.until(lambda: a.client.position[1] == hub.hub.head)
    store = Store(a.paths.database)
    assert store.hub_cursor()[1] == hub.hub.head
    store.close()
    assert a.got == []


@BOTH
async def test_a_removed_user_is_disconnected_at_once_and_cannot_come_back(hub, desks):
    a, b = desks
    await hub.remove_users("204")  # `hub remove-user`, another process
    await a.until(lambda: a.client.state == "rejected")
    assert "revoked" in a.client.detail
    await a.client.connect(hub.url(), a.token)  # the settings "changed": it tries once more
    await a.until(lambda: a.states[-2:] == ["connecting", "rejected"])
    assert "does not accept" in a.client.detail
    await hub.post("CallStarted", **call(1, "204"))
    await hub.post("CallStarted", **call(2, "205"))
    await b.until(lambda: len(b.got) == 1)
    assert a.got == []
    assert b.client.state == "connected"


@BOTH
async def test_desktops_ride_out_a_hub_restart_mid_stream(hub, desks):
    a, b = desks

    async def acknowledged(n: int) -> int | None:
        try:
            await hub.post("CallStarted", **call(n, "204"))
        except (AssertionError, aiohttp.ClientError):  # refused or cut off: not acknowledged, may be lost
            return None
        return n

    burst = [asyncio.create_task(acknowledged(n)) for n in range(1, 41)]
    await a.until(lambda: len(a.got) >= 3)
    await hub.stop()  # while the burst is still arriving and being sent
    sent = {n for n in await asyncio.gather(*burst) if n is not None}
    await a.until(lambda: a.client.state == "reconnecting")
    await hub.start()
    await a.until(lambda: a.client.state == "connected")
    await hub.post("CallStarted", **call(100, "204"))
    await a.until(lambda: "CallStarted:call-100" in a.ids())
    assert len(a.ids()) == len(set(a.ids()))
    assert set(a.ids()) == {f"CallStarted:call-{n}" for n in sent | {100}}
    await b.until(lambda: b.client.state == "connected")


@BOTH
async def test_a_desktop_that_starts_fresh_gets_what_comes_next_not_the_past(hub, tmp_path):
    await hub.post("CallStarted", **call(1, "204"))
    _, token = await hub.add_user("204")
    desk = Desk(tmp_path / "new", "204")
    await desk.connect(hub.url(), token)
    await desk.until(lambda: desk.client.state == "connected")
    await hub.post("CallStarted", **call(2, "204"))
    await desk.until(lambda: len(desk.got) == 1)
    assert desk.ids() == ["CallStarted:call-2"]
    await desk.quit()


@pytest.mark.parametrize(
    "authorization", [None, "Bearer ihub_AAAAAAAAAAAA.wrong", "Bearer nonsense", "Basic dXNlcjpwYXNz"]
)
async def test_a_wrong_or_missing_token_gets_a_bare_401_before_the_upgrade(hub, authorization):
    await hub.add_user("204")
    headers = {} if authorization is None else {"Authorization": authorization}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{hub.url()}{hub_client.STREAM_PATH}", headers=headers) as response:
            assert response.status == 401
            assert await response.json() == {"error": "unauthorized"}
        with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
            await session.ws_connect(stream_url(hub.url()), headers=headers)
        assert raised.value.status == 401


@BOTH
async def test_a_desktop_with_a_wrong_token_is_rejected_stops_trying_and_gets_nothing(hub, tmp_path):
    _, token = await hub.add_user("204")
    desk = Desk(tmp_path / "x", "204")
    await desk.connect(hub.url(), token[:-4] + "AAAA")
    await desk.until(lambda: desk.client.state == "rejected")
    await hub.post("CallStarted", **call(1, "204"))
    assert desk.states == ["connecting", "rejected"]
    assert desk.client._task.done()
    assert desk.got == []
    await desk.quit()


async def test_a_desktop_keeps_trying_while_the_hub_is_down(tmp_path, unused_tcp_port):
    desk = Desk(tmp_path / "a", "204")
    await desk.connect(f"http://127.0.0.1:{unused_tcp_port}", "ihub_AAAAAAAAAAAA.whatever")
    await desk.until(lambda: desk.states.count("reconnecting") >= 3)
    assert "cannot reach the hub" in desk.client.detail
    await desk.quit()
    assert desk.client.state == "stopped"


async def test_a_hub_name_that_does_not_resolve_is_named(tmp_path):
    desk = Desk(tmp_path / "a", "204")
    await desk.connect("http://hub.example.invalid", "ihub_AAAAAAAAAAAA.whatever")
    await desk.until(lambda: "reconnecting" in desk.states)
    assert "cannot reach the hub: the name hub.example.invalid does not resolve" in desk.client.detail
    await desk.quit()


async def test_a_desktop_given_several_hubs_moves_to_the_next_when_its_hub_is_down(hub, tmp_path):
    _, token = await hub.add_user("204")
    desk = Desk(tmp_path / "a", "204")
    await desk.connect(f"http://127.0.0.1:{closed_port()},{hub.url()}", token)
    await desk.until(lambda: desk.client.state == "connected")
    assert desk.states == ["connecting", "reconnecting", "connected"]  # no waiting in between
    await hub.post("CallStarted", **call(1, "204"))
    await desk.until(lambda: desk.ids() == ["CallStarted:call-1"])
    await desk.quit()


@pytest.mark.parametrize("backend", ["nats"], indirect=True)
async def test_a_webhook_repeated_at_another_hub_is_stored_once(hub, desks, tmp_path, broker):
    other = HubRunner(tmp_path / "other", broker)  # a second hub on the same stream
    await other.start()
    a, _ = desks
    answers = []
    async with aiohttp.ClientSession() as session:
        for runner in (hub, other, hub):  # Intulse retries; the load balancer picks a hub
            url = f"{runner.url()}/hooks/{SECRET}/CallStarted"
            async with session.post(url, json=payload("CallStarted") | call(1, "204")) as response:
                answers.append((response.status, (await response.json())["new"]))
    assert answers == [(200, True), (200, False), (200, False)]
    await hub.post("CallStarted", **call(2, "204"))
    await a.until(lambda: len(a.got) == 2)
    assert a.ids() == ["CallStarted:call-1", "CallStarted:call-2"]
    await other.stop()


@pytest.mark.parametrize("backend", ["nats"], indirect=True)
async def test_a_hub_that_lost_nats_fails_its_health_check(hub):
    await hub.cluster.publisher._client.close()
    async with aiohttp.ClientSession() as session, session.get(f"{hub.url()}/healthz") as response:
        assert response.status == 503
        assert (await response.json())["reason"].startswith("not connected to NATS")


def test_a_call_caught_up_later_does_not_ring_but_a_missed_one_still_pops(me):
    from datetime import datetime

    from intulse_desktop.bus import Delivery
    from intulse_desktop.events import parse
    from intulse_desktop.popups import decide

    from .helpers.builders import payload

    now = datetime.now(UTC)
    started = parse(payload("CallStarted"), "CallStarted")
    missed = parse(payload("CallCompleted-missed"), "CallCompleted")
    assert decide(Delivery(started, True, True, now), me).card == "call"
    assert decide(Delivery(started, True, True, now, caught_up=True), me).card is None
    assert decide(Delivery(missed, True, True, now, caught_up=True), me).card == "missed"
