"""The Intulse API client against a fake Intulse that records what it receives."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import parse_qs

import pytest

from intulse_desktop.events import EVENT_TYPES
from intulse_desktop.intulse_api import (
    ApiKeyError,
    IntulseApi,
    Kind,
    Webhook,
    check_api_key,
    resolve_api_url,
)
from intulse_desktop.receiver import webhook_urls
from intulse_desktop.sender import Failure
from intulse_desktop.settings import Settings, SettingsError

from .helpers.builders import API_KEY
from .helpers.fakes import FakeIntulse
from .helpers.net import closed_port

SECRET = "s3cr3t-Zq8xK2mV9pL4nR7tY1wE5uI0oA6sD3fG"
URLS = webhook_urls("https://desk.example.com", SECRET)


def client(fake: FakeIntulse, timeout: float = 5.0) -> IntulseApi:
    return IntulseApi(API_KEY, api_url=fake.url, dashboard_api_url=f"{fake.url}/api", timeout=timeout)


# --- register ------------------------------------------------------------------------------


async def test_register_posts_each_type_with_its_own_url(fake_intulse):
    async with client(fake_intulse) as api:
        await api.register(URLS)
    bodies = [json.loads(r.body) for r in fake_intulse.made("POST", "/webhooks")]
    assert sorted(bodies, key=lambda b: b["Type"]) == sorted(
        ({"Url": URLS[t], "Type": t} for t in EVENT_TYPES), key=lambda b: b["Type"]
    )
    for body in bodies:
        assert body["Url"] == f"https://desk.example.com/hooks/{SECRET}/{body['Type']}"


async def test_register_sends_the_key_as_x_api_key_and_json(fake_intulse):
    async with client(fake_intulse) as api:
        await api.register(URLS)
    for request in fake_intulse.made("POST", "/webhooks"):
        assert request.headers["X-API-Key"] == API_KEY
        assert request.headers["Content-Type"].startswith("application/json")
        assert "Authorization" not in request.headers


async def test_register_reports_done_for_every_type(fake_intulse):
    async with client(fake_intulse) as api:
        results = await api.register(URLS)
    assert list(results) == list(URLS)
    assert all(r.ok and r.kind is Kind.DONE and r.message == "registered" for r in results.values())


async def test_register_skips_a_url_and_type_already_registered(fake_intulse):
    fake_intulse.listing = [{"id": 7, "url": URLS["CallStarted"], "type": "callstarted"}]
    async with client(fake_intulse) as api:
        results = await api.register(URLS)
    posted = {json.loads(r.body)["Type"] for r in fake_intulse.made("POST", "/webhooks")}
    assert posted == set(EVENT_TYPES) - {"CallStarted"}
    assert results["CallStarted"].ok
    assert results["CallStarted"].kind is Kind.EXISTS


async def test_register_adds_a_type_registered_only_with_another_url(fake_intulse):
    old = webhook_urls("https://desk.example.com", "an-old-secret-1234567890")
    fake_intulse.listing = [{"Id": 1, "Url": old["CallStarted"], "Type": "CallStarted"}]
    async with client(fake_intulse) as api:
        results = await api.register(URLS)
    assert results["CallStarted"].kind is Kind.DONE
    assert not fake_intulse.made("DELETE")  # another desktop's registration may still be in use


@pytest.mark.parametrize("status", [404, 405])
async def test_register_still_registers_when_listing_is_unsupported(fake_intulse, status):
    fake_intulse.answers[("GET", "/webhooks")] = (status, "")
    async with client(fake_intulse) as api:
        results = await api.register(URLS)
    assert len(fake_intulse.made("POST", "/webhooks")) == 4
    assert all(r.ok for r in results.values())


@pytest.mark.parametrize("status", [401, 403])
async def test_a_refused_key_is_reported_as_a_bad_key_per_type(fake_intulse, status):
    fake_intulse.answers[("POST", "/webhooks")] = (status, "")
    async with client(fake_intulse) as api:
        results = await api.register(URLS)
    for result in results.values():
        assert (result.ok, result.kind, result.status) == (False, Kind.BAD_KEY, status)
        assert "API key was refused" in result.message


async def test_a_server_error_is_reported_with_its_status(fake_intulse):
    fake_intulse.answers[("POST", "/webhooks")] = (502, "<html>bad gateway</html>")
    async with client(fake_intulse) as api:
        results = await api.register(URLS)
    for result in results.values():
        assert (result.ok, result.kind, result.status) == (False, Kind.SERVER_ERROR, 502)
        assert "HTTP 502" in result.message


async def test_a_missing_endpoint_says_to_check_the_api_url(fake_intulse):
    fake_intulse.answers[("POST", "/webhooks")] = (404, "")
    async with client(fake_intulse) as api:
        result = (await api.register(URLS))["CallStarted"]
    assert result.kind is Kind.NOT_FOUND
    assert f"{fake_intulse.url}/webhooks was not found" in result.message


async def test_another_refusal_shows_the_servers_reason(fake_intulse):
    fake_intulse.answers[("POST", "/webhooks")] = (400, '{"Message": "Url must be https"}\n')
    async with client(fake_intulse) as api:
        result = (await api.register(URLS))["TextMessageReceived"]
    assert result.kind is Kind.REJECTED
    assert result.message == 'HTTP 400: Intulse refused it: {"Message": "Url must be https"}'


async def test_a_registration_that_times_out_says_so(fake_intulse):
    fake_intulse.hang.add(("POST", "/webhooks"))
    async with client(fake_intulse, timeout=0.3) as api:
        results = await api.register(URLS)
    for result in results.values():
        assert (result.ok, result.kind) == (False, Failure.TIMEOUT)
        assert "no answer within 0.3 seconds" in result.message


async def test_when_intulse_cannot_be_reached_nothing_more_is_tried(fake_intulse):
    fake_intulse.hang.add(("GET", "/webhooks"))
    async with client(fake_intulse, timeout=0.3) as api:
        results = await api.register(URLS)
    assert [r.kind for r in results.values()] == [Failure.TIMEOUT] * 4
    assert not fake_intulse.made("POST")


async def test_a_name_that_does_not_resolve_is_named():
    async with IntulseApi(API_KEY, api_url="http://api.intulse.invalid") as api:
        result = (await api.register(URLS))["CallStarted"]
    assert result.kind is Failure.DNS
    assert "api.intulse.invalid does not resolve" in result.message


async def test_a_refused_connection_is_named():
    async with IntulseApi(API_KEY, api_url=f"http://127.0.0.1:{closed_port()}") as api:
        result = (await api.register(URLS))["CallStarted"]
    assert result.kind is Failure.REFUSED


async def test_a_redirect_is_not_followed_so_the_key_stays_put(fake_intulse):
    fake_intulse.answers[("GET", "/webhooks")] = (404, "")
    fake_intulse.answers[("POST", "/webhooks")] = (307, "", {"Location": f"{fake_intulse.url}/elsewhere"})
    async with client(fake_intulse) as api:
        result = (await api.register({"CallStarted": URLS["CallStarted"]}))["CallStarted"]
    assert result.kind is Kind.REDIRECTED
    assert len(fake_intulse.made("POST")) == 1
    assert not fake_intulse.made("POST", "/elsewhere")


# --- list and delete -----------------------------------------------------------------------


HOOK = "https://a.example/hooks/x/CallStarted"


@pytest.mark.parametrize(
    "listing",
    [
        [{"ID": 3, "URL": HOOK, "TYPE": "CallStarted"}],
        {"Total": 1, "Data": [{"id": "3", "url": HOOK, "type": "CallStarted"}]},
        {"errors": [], "webhooks": [{"Id": 3, "Url": HOOK, "Type": "CallStarted"}]},
    ],
    ids=["list", "wrapped", "wrapped-after-an-empty-list"],
)
async def test_listing_reads_either_shape_in_any_key_case(fake_intulse, listing):
    fake_intulse.listing = listing
    async with client(fake_intulse) as api:
        found = await api.list_webhooks()
    assert found.result.ok
    assert found.webhooks == (Webhook("3", HOOK, "CallStarted"),)


async def test_listing_skips_entries_without_url_and_type(fake_intulse):
    fake_intulse.listing = [{"Id": 1, "Url": HOOK}, "junk", {"Url": "https://b.example/y", "Type": "X"}]
    async with client(fake_intulse) as api:
        found = await api.list_webhooks()
    assert found.webhooks == (Webhook(None, "https://b.example/y", "X"),)


async def test_listing_in_an_unknown_shape_is_unreadable_not_an_error(fake_intulse):
    fake_intulse.listing = {"count": 2}
    async with client(fake_intulse) as api:
        found = await api.list_webhooks()
    assert (found.result.ok, found.result.kind, found.webhooks) == (False, Kind.UNREADABLE, ())


@pytest.mark.parametrize("status", [404, 405])
async def test_listing_not_supported_is_a_result(fake_intulse, status):
    fake_intulse.answers[("GET", "/webhooks")] = (status, "")
    async with client(fake_intulse) as api:
        found = await api.list_webhooks()
    assert found.result.kind is Kind.UNSUPPORTED
    assert "not supported by this Intulse API" in found.result.message


async def test_delete_sends_delete_with_the_key_and_the_quoted_id(fake_intulse):
    async with client(fake_intulse) as api:
        result = await api.delete_webhook("a/b 1")
    assert result.ok
    assert result.message == "deleted"
    (request,) = fake_intulse.made("DELETE")
    assert request.path == "/webhooks/a/b 1"  # sent as one segment: a%2Fb%201
    assert request.headers["X-API-Key"] == API_KEY


@pytest.mark.parametrize("status", [404, 405])
async def test_delete_not_supported_is_a_result(fake_intulse, status):
    fake_intulse.answers[("DELETE", "/webhooks/9")] = (status, "")
    async with client(fake_intulse) as api:
        result = await api.delete_webhook("9")
    assert result.kind is Kind.UNSUPPORTED


# --- click-to-call -------------------------------------------------------------------------


async def test_click_to_call_uses_basic_auth_with_user_api_and_the_key(fake_intulse):
    async with client(fake_intulse) as api:
        result = await api.call("204", "+1 (317) 555-0142")
    assert result.ok
    (request,) = fake_intulse.made("POST", "/api/call/")
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"api:{API_KEY}".encode()).decode()
    assert "X-API-Key" not in request.headers


async def test_click_to_call_posts_the_extension_and_a_digits_only_target(fake_intulse):
    async with client(fake_intulse) as api:
        await api.call("204", "+1 (317) 555-0142")
    (request,) = fake_intulse.made("POST", "/api/call/")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.body.decode()) == {"extension": ["204"], "target": ["13175550142"]}


async def test_click_to_call_without_digits_sends_nothing(fake_intulse):
    async with client(fake_intulse) as api:
        result = await api.call("204", "anonymous")
    assert not result.ok
    assert not fake_intulse.requests


async def test_click_to_call_with_a_refused_key_says_so(fake_intulse):
    fake_intulse.answers[("POST", "/api/call/")] = (401, "")
    async with client(fake_intulse) as api:
        result = await api.call("204", "3175550142")
    assert result.kind is Kind.BAD_KEY


# --- the key stays secret ------------------------------------------------------------------


def test_the_key_is_not_in_the_clients_repr():
    api = IntulseApi(API_KEY)
    assert API_KEY not in repr(api)
    assert API_KEY not in str(api)


async def test_a_key_echoed_by_the_server_is_hidden_in_the_message(fake_intulse):
    fake_intulse.answers[("POST", "/webhooks")] = (400, f"invalid key {API_KEY}")
    async with client(fake_intulse) as api:
        results = await api.register(URLS)
    assert all(API_KEY not in r.message and "<api key>" in r.message for r in results.values())


async def test_the_key_is_never_logged(fake_intulse, caplog):
    caplog.set_level(logging.DEBUG)
    fake_intulse.answers[("POST", "/webhooks")] = (401, API_KEY)
    async with client(fake_intulse) as api:
        await api.register(URLS)
        await api.call("204", "3175550142")
    assert caplog.records  # something was logged, and none of it holds the key
    assert API_KEY not in caplog.text


def test_a_key_with_spaces_inside_is_refused_without_repeating_it():
    with pytest.raises(ApiKeyError) as raised:
        check_api_key("abc def\n")
    assert "abc" not in str(raised.value)


def test_a_key_is_used_without_surrounding_blanks():
    assert check_api_key(f"  {API_KEY}\n") == API_KEY


# --- the session and the URLs --------------------------------------------------------------


async def test_the_session_is_closed_with_the_client(fake_intulse):
    async with client(fake_intulse) as api:
        await api.list_webhooks()
        session = api._http
    assert session is not None
    assert session.closed
    with pytest.raises(RuntimeError):
        await api.list_webhooks()


def test_the_api_url_comes_from_the_environment_first(monkeypatch):
    monkeypatch.setenv("INTULSE_API_URL", "http://localhost:9000/")
    assert resolve_api_url(Settings()) == "http://localhost:9000"


def test_the_api_url_defaults_to_intulse():
    assert resolve_api_url(Settings()) == "https://api.intulse.com"


def test_a_bad_api_url_in_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("INTULSE_API_URL", "ftp://api.example.com")
    with pytest.raises(SettingsError, match="INTULSE_API_URL"):
        resolve_api_url(Settings())


@pytest.mark.parametrize("key", ["api_url", "dashboard_api_url"])
def test_api_url_settings_must_be_http_or_https(key):
    with pytest.raises(SettingsError, match=key):
        Settings().with_text(key, "ftp://api.example.com")


def test_the_dashboard_api_url_keeps_its_path():
    assert Settings().with_text("dashboard_api_url", "https://d.example.com/api/").dashboard_api_url == (
        "https://d.example.com/api"
    )
