"""CardDAV sync against a real Radicale server on loopback: contacts are added, changed and
deleted there over HTTP, and after each sync the names here follow; by sync-token and by ETags,
on the command line and on the timer, with failures reported and never fatal."""

from __future__ import annotations

import asyncio
import io
import json

import aiohttp
import aiohttp.web
import pytest

from intulse_desktop.cli import main
from intulse_desktop.contacts.carddav import CardDavClient, CardDavError
from intulse_desktop.contacts.sync import ContactsSync, NotConfigured, sync_address_book
from intulse_desktop.settings import Settings
from intulse_desktop.store import ContactChanges

from .helpers.net import closed_port
from .helpers.radicale import PASSWORD, USER, vcard
from .helpers.waiting import eventually


def applying(store):
    """The store's writes as a sync runs them, each in a transaction of its own."""

    async def apply(job):
        [result] = store.run_batch([job])
        if isinstance(result, Exception):
            raise result
        return result

    return apply


async def sync(radicale, store, password=PASSWORD, url=None):
    async with aiohttp.ClientSession() as session:
        client = CardDavClient(session, url or radicale.book, USER, password)
        return await sync_address_book(client, applying(store))


def names(store):
    return {c.name: [n.number for n in c.numbers] for c in store.contacts()}


@pytest.fixture(params=["sync-token", "etags"])
def how(request, monkeypatch):
    """Both ways of learning what changed; for "etags", a server without sync-collection."""
    if request.param == "etags":

        async def cannot(self, token):
            return None

        monkeypatch.setattr(CardDavClient, "changes_since", cannot)
    return request.param


async def test_added_changed_and_deleted_contacts_follow_the_server(radicale, store, how):
    radicale.put("ana.vcf", vcard("ana", "Ana Lopez", "+1 317-555-0155"))
    radicale.put("bo.vcf", vcard("bo", "Bo Diaz", "(317) 555-0156"))
    first = await sync(radicale, store)
    assert (first.how, first.changes) == (how, ContactChanges(added=2))
    assert names(store) == {"Ana Lopez": ["+13175550155"], "Bo Diaz": ["+13175550156"]}
    assert store.contact_for("317-555-0155").source == "carddav"

    radicale.put("ana.vcf", vcard("ana", "Ana López-Reyes", "+1 317-555-0155", "+1 317-555-0157"))
    radicale.delete("bo.vcf")
    radicale.put("cy.vcf", vcard("cy", "Cy Young", "+44 20 7946 0958", version="4.0"))
    second = await sync(radicale, store)
    assert second.changes == ContactChanges(added=1, updated=1, removed=1)
    assert names(store) == {
        "Ana López-Reyes": ["+13175550155", "+13175550157"],
        "Cy Young": ["+442079460958"],
    }
    assert store.contact_for("317-555-0156") is None

    third = await sync(radicale, store)
    assert third.changes == ContactChanges()  # nothing changed: nothing fetched, nothing written


async def test_a_sync_keeps_the_vip_flag(radicale, store):
    radicale.put("ana.vcf", vcard("ana", "Ana Lopez", "317-555-0155"))
    await sync(radicale, store)
    ana = store.contact_for("317-555-0155")
    store.run_batch([lambda s: s.set_vip(ana.id, True)])
    radicale.put("ana.vcf", vcard("ana", "Ana L.", "317-555-0155"))
    await sync(radicale, store)
    assert (store.contact_for("317-555-0155").name, store.contact_for("317-555-0155").vip) == ("Ana L.", True)


async def test_a_card_whose_last_number_goes_is_removed(radicale, store):
    radicale.put("ana.vcf", vcard("ana", "Ana Lopez", "317-555-0155"))
    await sync(radicale, store)
    radicale.put("ana.vcf", vcard("ana", "Ana Lopez"))
    result = await sync(radicale, store)
    assert result.changes.removed == 1
    assert store.count_contacts() == 0


async def test_an_expired_sync_token_starts_over(radicale, store):
    radicale.put("ana.vcf", vcard("ana", "Ana Lopez", "317-555-0155"))
    await sync(radicale, store)
    store.run_batch([lambda s: s.set_sync_token(radicale.book, "http://radicale.org/ns/sync/" + "0" * 64)])
    radicale.put("bo.vcf", vcard("bo", "Bo Diaz", "317-555-0156"))
    result = await sync(radicale, store)
    assert result.changes == ContactChanges(added=1, unchanged=0)
    assert set(names(store)) == {"Ana Lopez", "Bo Diaz"}


async def test_another_address_book_replaces_the_first_ones_contacts(radicale, store):
    radicale.put("ana.vcf", vcard("ana", "Ana Lopez", "317-555-0155"))
    await sync(radicale, store)
    other = radicale.make_book()
    radicale.request("PUT", other + "zed.vcf", vcard("zed", "Zed", "317-555-0177").encode(), "text/vcard")
    await sync(radicale, store, url=other)
    assert set(names(store)) == {"Zed"}


@pytest.mark.parametrize(
    ("password", "url", "said"),
    [
        ("wrong", None, r"refused the user name or app password \(HTTP 401\)"),
        (PASSWORD, "/dana/nothing-here/", "there is no address book at"),
    ],
)
async def test_a_failure_says_why_and_changes_nothing(radicale, store, password, url, said):
    radicale.put("ana.vcf", vcard("ana", "Ana Lopez", "317-555-0155"))
    with pytest.raises(CardDavError, match=said):
        await sync(radicale, store, password=password, url=url and radicale.base + url)
    assert store.count_contacts() == 0


async def test_an_unreachable_server_is_a_clear_failure(store):
    nobody = f"http://127.0.0.1:{closed_port()}/dana/contacts/"
    with pytest.raises(CardDavError, match="cannot reach 127.0.0.1"):
        await sync(None, store, url=nobody)
    assert store.count_contacts() == 0


# --- on a timer, and on demand ------------------------------------------------------------------


async def test_the_timer_syncs_reports_a_failure_and_goes_on(radicale, writer):
    radicale.put("ana.vcf", vcard("ana", "Ana Lopez", "317-555-0155"))
    password = {"value": "wrong"}
    settings = Settings(carddav_url=radicale.book, carddav_user=USER)
    syncing = ContactsSync(lambda: settings, lambda: password["value"], writer.run)
    task = asyncio.create_task(syncing.keep_synced())
    try:
        await eventually(lambda: syncing.error is not None, what="the first sync to fail")
        assert "refused the user name or app password" in syncing.error
        assert not task.done()  # never fatal

        password["value"] = PASSWORD
        syncing.sync_soon()
        await eventually(lambda: syncing.error is None and syncing.last is not None, what="a sync")
        assert syncing.last.changes == ContactChanges(added=1)

        radicale.put("ana.vcf", vcard("ana", "Ana L.", "317-555-0155"))
        syncing.sync_soon()
        names_now = []

        async def renamed():
            names_now[:] = await writer.run(lambda store: [c.name for c in store.contacts()])
            return names_now == ["Ana L."]

        await eventually(renamed, what=lambda: f"the new name, not {names_now}")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_without_an_address_book_the_timer_does_nothing_and_a_sync_says_how_to_set_one(writer):
    syncing = ContactsSync(Settings, lambda: None, writer.run)
    with pytest.raises(NotConfigured, match="config set carddav_url"):
        await syncing.sync()
    task = asyncio.create_task(syncing.keep_synced())
    await asyncio.sleep(0)
    assert (syncing.at, syncing.error, task.done()) == (None, None, False)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_contacts_sync_on_the_command_line(radicale, capsys, monkeypatch, restore_logging):
    radicale.put("ana.vcf", vcard("ana", "Ana Lopez", "317-555-0155"))
    assert main(["config", "set", "carddav_url", radicale.book]) == 0
    assert main(["config", "set", "carddav_user", USER]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["contacts", "set-password"]) == 0
    capsys.readouterr()
    assert main(["contacts", "sync"]) == 0
    assert capsys.readouterr().out == "1 added, 0 updated, 0 removed (by sync-token)\n"
    radicale.delete("ana.vcf")
    assert main(["contacts", "sync"]) == 0
    assert capsys.readouterr().out == "0 added, 0 updated, 1 removed (by sync-token)\n"
    assert main(["contacts", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_contacts_sync_that_fails_exits_1_with_one_line(radicale, capsys, monkeypatch, restore_logging):
    main(["config", "set", "carddav_url", radicale.book])
    main(["config", "set", "carddav_user", USER])
    monkeypatch.setattr("sys.stdin", io.StringIO("not-the-password\n"))
    main(["contacts", "set-password"])
    capsys.readouterr()
    assert main(["contacts", "sync"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "contacts sync failed: " in err
    assert "HTTP 401" in err


async def test_changes_a_server_sends_in_parts_are_joined(aiohttp_server):
    """RFC 6578's truncated answer (the collection itself 507), from a server Radicale is not."""
    parts = {
        "": ("t1", [("a.vcf", 200), ("b.vcf", 200)], True),
        "t1": ("t2", [("b.vcf", 404), ("c.vcf", 200)], False),
    }
    asked = []

    async def report(request):
        body = await request.text()
        token = body.split("<d:sync-token>")[1].split("</d:sync-token>")[0]
        asked.append(token)
        new_token, items, more = parts[token]
        responses = "".join(
            f"<d:response><d:href>/book/{name}</d:href>"
            + (
                f'<d:propstat><d:prop><d:getetag>"{name}"</d:getetag></d:prop>'
                "<d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
                if status == 200
                else "<d:status>HTTP/1.1 404 Not Found</d:status>"
            )
            + "</d:response>"
            for name, status in items
        )
        if more:
            responses += "<d:response><d:href>/book/</d:href><d:status>HTTP/1.1 507 x</d:status></d:response>"
        token_xml = f"<d:sync-token>{new_token}</d:sync-token>"
        xml = f'<d:multistatus xmlns:d="DAV:">{responses}{token_xml}</d:multistatus>'
        return aiohttp.web.Response(status=207, text=xml, content_type="application/xml")

    app = aiohttp.web.Application()
    app.router.add_route("REPORT", "/book/", report)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as session:
        changes = await CardDavClient(session, str(server.make_url("/book/")), "", "").changes_since("")
    base = str(server.make_url("/book/"))
    assert asked == ["", "t1"]
    assert changes.token == "t2"
    assert changes.changed == {base + "a.vcf": '"a.vcf"', base + "c.vcf": '"c.vcf"'}
    assert changes.deleted == {base + "b.vcf"}
