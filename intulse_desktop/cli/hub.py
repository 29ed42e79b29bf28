"""The office hub: run it, manage its users, and connect a desktop to it."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

from intulse_desktop import APP_NAME
from intulse_desktop.cli.prompt import read_secret, set_secret
from intulse_desktop.context import Context, Failed, UsageError
from intulse_desktop.formatting import printable
from intulse_desktop.hub.protocol import looks_like_token
from intulse_desktop.hub.users import NewUser, User, Users, UsersError, new_user, parse_presence
from intulse_desktop.secrets import BROKER_PASSWORD, HUB_TOKEN
from intulse_desktop.settings import SettingsError

if TYPE_CHECKING:
    import ssl

    from intulse_desktop.hub.broker import BrokerOptions
    from intulse_desktop.service import Service
    from intulse_desktop.tunnel.manager import ManagedTunnel


class UserCommands(Protocol):
    """The users a command manages: the hub's file, or the broker's bucket (``--broker``)."""

    async def add(self, new: NewUser) -> User: ...

    async def load(self) -> list[User]: ...

    async def remove(self, ids: set[int]) -> int: ...


class _FileUsers:
    """``Users`` (the hub's own file) as a ``UserCommands``."""

    def __init__(self, users: Users) -> None:
        self._users = users

    async def add(self, new: NewUser) -> User:
        return self._users.insert(new)

    async def load(self) -> list[User]:
        return self._users.all()

    async def remove(self, ids: set[int]) -> int:
        return self._users.remove(ids)


def broker_options(ctx: Context) -> BrokerOptions | None:
    """The NATS cluster from ``--broker`` or the ``broker_url`` setting; None: the hub's own journal."""
    from intulse_desktop.hub.broker import BrokerOptions

    given = getattr(ctx.args, "broker", None)
    try:
        settings = ctx.settings if given is None else ctx.settings.with_values({"broker_url": given})
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    if not settings.broker_url:
        return None
    return BrokerOptions(
        tuple(settings.broker_url.split(",")),
        user=settings.broker_user,
        password=ctx.secrets.get(BROKER_PASSWORD) if settings.broker_user else None,
        credentials=settings.broker_credentials,
        replicas=settings.broker_replicas,
        max_events=settings.broker_max_events,
        max_age_days=settings.broker_max_age_days,
    )


@asynccontextmanager
async def _user_commands(ctx: Context) -> AsyncIterator[UserCommands]:
    options = broker_options(ctx)
    if options is None:
        users = _hub_users(ctx)
        try:
            yield _FileUsers(users)
        finally:
            users.close()
        return
    from intulse_desktop.hub.broker import BrokerError
    from intulse_desktop.hub.cluster import user_commands

    try:
        async with user_commands(options) as kv_users:
            yield kv_users
    except BrokerError as exc:
        raise Failed(str(exc)) from None


def cmd_hub(ctx: Context) -> int:
    from intulse_desktop.hub import server as hub
    from intulse_desktop.service import ReceiverError, Service
    from intulse_desktop.tunnel.manager import ManagedTunnel

    host, port = ctx.listen_address(ctx.args.hub_host, ctx.args.hub_port)
    ssl_context = _server_tls(ctx.args.certfile, ctx.args.keyfile)
    options = broker_options(ctx)
    if options is not None:
        from intulse_desktop.hub.broker import BrokerError

        service = Service(ctx.paths, ctx.settings, ctx.webhook_secret())
        tunnel = ManagedTunnel.for_service(service, ctx.settings, ctx.secrets, ctx.args.hub_tunnel)
        running = _run_brokered(service, options, host, port, ssl_context, ctx.args.verbose, tunnel)
        try:
            return asyncio.run(running)
        except (ReceiverError, BrokerError) as exc:
            raise Failed(str(exc)) from None
    users = _hub_users(ctx)
    service = Service(ctx.paths, ctx.settings, ctx.webhook_secret(), journal=True)
    tunnel = ManagedTunnel.for_service(service, ctx.settings, ctx.secrets, ctx.args.hub_tunnel)
    try:
        running = hub.run(
            service, users, host, port, ssl_context=ssl_context, verbose=ctx.args.verbose, tunnel=tunnel
        )
        return asyncio.run(running)
    except ReceiverError as exc:
        raise Failed(str(exc)) from None
    finally:
        users.close()


async def _run_brokered(
    service: Service,
    options: BrokerOptions,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None,
    verbose: bool,
    tunnel: ManagedTunnel | None,
) -> int:
    """The hub with the NATS cluster as its store, its journal and its users."""
    from intulse_desktop.hub import server as hub
    from intulse_desktop.hub.cluster import serving

    async with serving(options) as cluster:
        service.store_with(cluster.publisher.record, cluster.publisher.problem)
        return await hub.run(
            service,
            cluster.users,
            host,
            port,
            journal=cluster.journal,
            ssl_context=ssl_context,
            verbose=verbose,
            tunnel=tunnel,
        )


def _server_tls(certfile: str | None, keyfile: str | None) -> ssl.SSLContext | None:
    if certfile is None:
        if keyfile is not None:
            raise UsageError("--keyfile goes with --certfile")
        return None
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot use the certificate {certfile}: {exc}") from None
    return context


def _hub_users(ctx: Context) -> Users:
    try:
        return Users(ctx.paths.ensure().hub_users)
    except UsersError as exc:
        raise Failed(str(exc)) from None


def cmd_hub_add_user(ctx: Context) -> int:
    args = ctx.args
    numbers = [n.strip() for n in (args.numbers or "").split(",") if n.strip()]

    try:
        new = new_user(
            args.extension,
            numbers,
            user_id=args.user_id,
            name=args.name or "",
            presence=parse_presence(args.presence or ""),
            presence_lines=not args.presence_state_only,
            region=ctx.settings.default_region,
        )
    except UsersError as exc:
        raise UsageError(str(exc)) from None

    async def add() -> User:
        async with _user_commands(ctx) as users:
            return await users.add(new)

    user, token = asyncio.run(add()), new.token
    connect = f"{APP_NAME} hub connect {ctx.settings.base_url()}"
    if args.json:
        print(json.dumps({"user": user.describe(), "token": token, "connect": connect}, indent=2))
        return 0
    print(f"added user {user.id}: {_user_line(user)}")
    print(f"token (shown only now: the hub keeps just a hash of it):\n  {token}")
    print(f"on that desktop, run this and paste the token when asked (or pipe it in):\n  {connect}")
    return 0


def _user_line(user: User) -> str:
    numbers = ", ".join(user.numbers) or "no numbers"
    presence = "all" if user.presence == "all" else ", ".join(user.presence) or "own only"
    parts = [f"ext {user.extension}", numbers]
    if user.user_id is not None:
        parts.append(f"user id {user.user_id}")
    parts.append(
        f"presence: {presence}" + ("" if user.presence_lines or not user.presence else " (state only)")
    )
    if user.name:
        parts.append(printable(user.name))
    return "; ".join(parts)


def cmd_hub_list_users(ctx: Context) -> int:
    async def load() -> list[User]:
        async with _user_commands(ctx) as users:
            return await users.load()

    rows = asyncio.run(load())
    if ctx.args.json:
        print(json.dumps([user.describe() for user in rows], indent=2))
    else:
        for user in rows:
            print(f"{user.id:>4}  {_user_line(user)}")
    return 0


def cmd_hub_remove_user(ctx: Context) -> int:
    if ctx.args.id is not None:
        what = f"user {ctx.args.id}"
    else:
        what = f"user with ext {ctx.args.extension}"
        extension = ctx.args.extension.strip()

    async def remove() -> list[User]:
        async with _user_commands(ctx) as users:
            everyone = await users.load()
            if ctx.args.id is not None:
                found = [u for u in everyone if u.id == ctx.args.id]
            else:
                found = [u for u in everyone if u.extension == extension]
            if found:
                await users.remove({u.id for u in found})
            return found

    found = asyncio.run(remove())
    if not found:
        raise Failed(f"no {what} (see `{APP_NAME} hub list-users`)")
    for user in found:
        print(f"removed user {user.id}: {_user_line(user)}")
    print("its token no longer works; a running hub closes its connections within a second")
    return 0


def cmd_hub_connect(ctx: Context) -> int:
    import aiohttp

    from intulse_desktop.hub.client import Rejected, adopt, check, in_clear

    url = ctx.settings.with_values({"hub_url": ctx.args.url}).hub_url
    if not url:
        raise UsageError("give the hub's address, e.g. https://hub.example.com")
    if in_clear(url):
        print(
            f"warning: {url} is not encrypted: the token and every call and text travel in clear; "
            "use https:// (a hub behind a proxy, or with --certfile) unless this network is private",
            file=sys.stderr,
        )
    text = read_secret("Hub token")
    token = text.strip()
    if not looks_like_token(token):
        raise UsageError(f"that is not a hub token (`{APP_NAME} hub add-user` on the hub makes one)")
    ctx.redactor.add(token)
    try:
        identity = asyncio.run(check(url, token))
    except Rejected as exc:
        raise Failed(f"{exc}; nothing was changed") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        why = exc or type(exc).__name__
        raise Failed(f"cannot connect to the hub at {url} ({why}); nothing was changed") from None
    settings = ctx.settings.with_values(adopt(ctx.settings, url, identity))
    ctx.secrets.set(HUB_TOKEN, token)
    settings.save(ctx.paths.settings_file)
    numbers = ", ".join(settings.my_numbers) or "no numbers"
    print(f"connected: the hub at {url} knows this desktop as ext {settings.extension} ({numbers})")
    print(f"this desktop now receives from the hub (token in {ctx.secrets.location})")
    print(f"restart {APP_NAME} if it is running")
    return 0


def cmd_hub_set_broker_password(ctx: Context) -> int:
    empty = " (type it when asked, or pipe it in)"
    if set_secret(ctx, BROKER_PASSWORD, "NATS password", empty=empty) and not ctx.settings.broker_user:
        print(f"{APP_NAME}: note: it is used with the broker_user setting, which is not set yet")
    return 0
