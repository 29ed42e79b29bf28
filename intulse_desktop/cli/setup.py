"""Setting up: settings, the webhook URLs, the Intulse API key, registering and testing delivery."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from intulse_desktop import APP_NAME
from intulse_desktop.cli.prompt import read_secret
from intulse_desktop.context import Context, Failed, UsageError
from intulse_desktop.formatting import printable
from intulse_desktop.logs import redact_path
from intulse_desktop.secrets import API_KEY_ENV
from intulse_desktop.settings import Settings

# aiohttp (receiver, sender, intulse_api) is imported only by the commands that need it.


def reached(ctx: Context) -> Settings:
    """The settings, with ``public_url`` the running app's tunnel address while it has one (and a
    note on stderr saying so, or why the tunnel's address is not used)."""
    from intulse_desktop.tunnel.published import published

    tunnel = published(ctx.paths.tunnel_file)
    if tunnel is None:
        return ctx.settings
    if tunnel.address is None:
        note(f"the {tunnel.tool} tunnel of the running {APP_NAME} has no address now: {tunnel.said}")
        return ctx.settings
    note(
        f"the address of the {tunnel.tool} tunnel that the running {APP_NAME} keeps; it changes when "
        "the tunnel restarts, and the app registers the new one itself if it has the API key"
    )
    return ctx.settings.model_copy(update={"public_url": tunnel.address})


def note(text: str) -> None:
    print(f"{APP_NAME}: note: {text}", file=sys.stderr)


def cmd_webhook_url(ctx: Context) -> int:
    from intulse_desktop.receiver import webhook_urls

    settings = reached(ctx)
    urls = webhook_urls(settings.base_url(), ctx.webhook_secret())
    if ctx.args.json:
        print(json.dumps(urls, indent=2))
    else:
        width = max(map(len, urls))
        for event_type, url in urls.items():
            print(f"{event_type:<{width}}  {url}")
    if not settings.public_url:
        print(
            f"{APP_NAME}: note: no public_url is set, so these point at this computer; Intulse can "
            "reach them only through a tunnel or port forward (see the README), then: "
            f"{APP_NAME} config set public_url https://…",
            file=sys.stderr,
        )
    return 0


def cmd_config(ctx: Context) -> int:
    settings = ctx.settings
    action = ctx.args.config_action
    if action == "list":
        for key in settings.keys():  # noqa: SIM118 - a pydantic model iterates as (name, value) pairs
            print(f"{key} = {settings.text_of(key)}")
    elif action == "get":
        print(settings.text_of(ctx.args.key))
    else:
        updated = settings.with_text(ctx.args.key, ctx.args.value)
        updated.save(ctx.paths.settings_file)
    return 0


def cmd_send_test(ctx: Context) -> int:
    from intulse_desktop.receiver import webhook_urls
    from intulse_desktop.samples import sample
    from intulse_desktop.sender import post_json

    settings = ctx.settings
    extension = ctx.args.extension or settings.extension
    to = ctx.args.to or next(iter(settings.my_numbers), None)
    url = webhook_urls(settings.base_url(), ctx.webhook_secret())[ctx.args.event]
    shown = redact_path(url)
    status, body = asyncio.run(post_json(url, sample(ctx.args.event, extension, to)))
    if status is None:
        raise Failed(f"cannot deliver to {shown}: {body}")
    print(f"{ctx.args.event} -> {shown}: HTTP {status} {printable(body)}")
    return 0 if 200 <= status < 300 else 1


def cmd_register(ctx: Context) -> int:
    from intulse_desktop.intulse_api import ApiUnavailable, IntulseApi
    from intulse_desktop.outcome import Outcome
    from intulse_desktop.receiver import webhook_urls

    settings = ctx.settings
    if ctx.args.public_url is not None:
        settings = settings.with_text("public_url", ctx.args.public_url)
        settings.save(ctx.paths.settings_file)
    if not settings.public_url:
        raise UsageError(
            f"no public URL: the webhook URLs would point at {settings.local_url()}, which Intulse "
            f"cannot reach; give `{APP_NAME} register --public-url https://…` (a tunnel or port "
            "forward, see the README)"
        )
    urls = webhook_urls(settings.public_url, ctx.webhook_secret())
    no_key = (
        f"no Intulse API key: set {API_KEY_ENV} in the environment, or store one with "
        f"`{APP_NAME} set-api-key` (it asks for the key, or reads it from stdin)"
    )
    try:
        api = IntulseApi.from_secrets(settings, ctx.secrets, no_key=no_key)
    except ApiUnavailable as exc:
        again = f" (set it again with `{APP_NAME} set-api-key`)" if exc.bad_key else ""
        raise UsageError(f"{exc}{again}") from None

    async def register() -> dict[str, Outcome]:
        async with api:
            return await api.register(urls)

    results = asyncio.run(register())
    width = max(map(len, results))
    for event_type, result in results.items():
        print(f"{event_type:<{width}}  {'ok' if result.ok else 'FAILED'}: {result.message}")
    return 0 if all(result.ok for result in results.values()) else 1


def cmd_set_api_key(ctx: Context) -> int:
    from intulse_desktop.intulse_api import ApiKeyError, check_api_key

    if ctx.args.clear:
        ctx.secrets.set_api_key(None)
        print(f"the Intulse API key is removed from {ctx.secrets.location}")
        return 0
    text = read_secret("Intulse API key")
    try:
        key = check_api_key(text)
    except ApiKeyError as exc:
        raise UsageError(str(exc)) from None
    ctx.secrets.set_api_key(key)
    print(f"the Intulse API key is stored in {ctx.secrets.location}")
    if os.environ.get(API_KEY_ENV):
        print(f"{APP_NAME}: note: {API_KEY_ENV} is set, and is used instead while it is", file=sys.stderr)
    return 0


def cmd_test_delivery(ctx: Context) -> int:
    from intulse_desktop.delivery_check import DeliveryResult, check_delivery, receiver_running
    from intulse_desktop.service import ReceiverError

    settings = reached(ctx)
    secret = ctx.webhook_secret()
    if not settings.public_url:
        print(
            f"{APP_NAME}: note: no public_url is set, so there is nothing to test from outside; testing "
            f"this computer's own address instead, which Intulse cannot use (set one with "
            f"`{APP_NAME} config set public_url https://…`)",
            file=sys.stderr,
        )

    async def run() -> DeliveryResult:
        async with receiver_running(ctx.paths, settings, secret) as receiver:
            print(f"receiver: {receiver}")
            return await check_delivery(settings, secret)

    try:
        result = asyncio.run(run())
    except ReceiverError as exc:
        raise Failed(
            f"no receiver for the test: {exc}; if another program uses that port, "
            "free it or set another listen_port"
        ) from None
    print(f"sent to:  {result.url}")
    if result.ok:
        print(f"ok: {result.message}")
        return 0
    print(f"FAILED ({result.kind}): {result.message}")
    print(f"what to do: {result.advice}")
    return 1
