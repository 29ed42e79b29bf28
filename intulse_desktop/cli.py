"""The command line: the tray app by default, ``--headless``, and the commands scripts use.

Exit codes: 0 done, 1 failed (network, disk), 2 bad usage or configuration —
always with one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from intulse_desktop import APP_NAME, __version__
from intulse_desktop.events import EVENT_TYPES, INT64_MAX
from intulse_desktop.export import (
    MESSAGE_FIELDS,
    call_record,
    message_record,
    presence_record,
    write_csv,
    write_json,
)
from intulse_desktop.formatting import format_duration, is_utf8, local_time, printable
from intulse_desktop.logs import Redactor, redact_path, setup_logging
from intulse_desktop.matching import format_number
from intulse_desktop.paths import Paths
from intulse_desktop.process import prepare_process
from intulse_desktop.secrets import API_KEY_ENV, HUB_TOKEN, SecretsError, SecretStore
from intulse_desktop.settings import Settings, SettingsError
from intulse_desktop.store import CALL_FIELDS, CallQuery, CallRow, MessageRow, Store, StoreError

log = logging.getLogger(__name__)
Row = TypeVar("Row")


class UsageError(Exception):
    """Bad usage: exit code 2."""


class Failed(Exception):
    """The command could not do its job: exit code 1."""


class Context:
    """What every command needs, built from ``--data-dir`` and the settings file."""

    def __init__(self, args: argparse.Namespace, redactor: Redactor) -> None:
        self.args = args
        self.redactor = redactor
        self.paths = Paths.resolve(getattr(args, "data_dir", None))
        self.settings = Settings.load(self.paths.settings_file)

    @functools.cached_property
    def secrets(self) -> SecretStore:
        """Opened when a command needs it: finding the keyring takes a while."""
        return SecretStore(self.paths, self.redactor)

    def listen_address(self, host: str | None, port: int | None) -> tuple[str, int]:
        """Where to listen: the command line's choice, else the settings'."""
        return host or self.settings.listen_host, self.settings.listen_port if port is None else port

    def webhook_secret(self) -> str:
        return self.secrets.webhook_secret()

    def hub_connection(self) -> tuple[str, str]:
        """The office hub's URL and this desktop's token, for ``receive_from = hub``."""
        token = self.secrets.get(HUB_TOKEN)
        if not self.settings.hub_url or not token:
            raise UsageError(
                f"receive_from is hub, but there is no hub address or token: run `{APP_NAME} hub connect URL`"
            )
        return self.settings.hub_url, token

    def store(self) -> Store:
        return Store(self.paths.database, self.settings.default_region)

    def api_key(self) -> str:
        """The Intulse API key, added to the log redactor; a usage error if there is none."""
        key = self.secrets.api_key()
        if not key:
            raise UsageError(
                f"no Intulse API key: set {API_KEY_ENV} in the environment, or store one with "
                f"`{APP_NAME} set-api-key` (it asks for the key, or reads it from stdin)"
            )
        return key


# --- commands -----------------------------------------------------------------------------


def cmd_headless(ctx: Context) -> int:
    from intulse_desktop import headless
    from intulse_desktop.service import ReceiverError, Service

    host, port = ctx.listen_address(ctx.args.host, ctx.args.port)
    hub = ctx.hub_connection() if ctx.settings.receive_from == "hub" else None
    service = Service(ctx.paths.ensure(), ctx.settings, ctx.webhook_secret())
    try:
        return asyncio.run(headless.run(service, host, port, verbose=ctx.args.verbose, hub=hub))
    except ReceiverError as exc:
        raise Failed(str(exc)) from None


def cmd_gui(ctx: Context) -> int:
    from intulse_desktop.app import run_gui

    return run_gui(ctx)


def cmd_webhook_url(ctx: Context) -> int:
    from intulse_desktop.receiver import webhook_urls  # aiohttp: only for the commands that need it

    urls = webhook_urls(ctx.settings.base_url(), ctx.webhook_secret())
    if ctx.args.json:
        print(json.dumps(urls, indent=2))
    else:
        width = max(map(len, urls))
        for event_type, url in urls.items():
            print(f"{event_type:<{width}}  {url}")
    if not ctx.settings.public_url:
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


def _emit(
    fmt: str | None,
    rows: Iterable[Row],
    record: Callable[[Row], dict[str, Any]],
    fields: Iterable[str],
    line: Callable[[Row], str],
) -> None:
    if fmt == "json":
        write_json(map(record, rows), sys.stdout)
    elif fmt == "csv":
        write_csv(map(record, rows), fields, sys.stdout)
    else:
        for row in rows:
            print(line(row))


def cmd_calls(ctx: Context) -> int:
    query = CallQuery(
        search=ctx.args.search or "",
        outcome="missed" if ctx.args.missed else None,
        limit=ctx.args.limit,
    )
    region = ctx.settings.default_region

    def line(row: CallRow) -> str:
        return "  ".join(
            [
                local_time(row.start_utc),
                f"{row.direction:<8}",
                f"{row.outcome or 'ringing':<10}",
                f"{printable(format_number(row.remote_party_number, region)):<16}",
                f"ext {printable(row.extension):<5}",
                f"{format_duration(row.duration_seconds):>7}",
                "rec" if row.recording else "   ",
                printable(row.remote_party_name),
            ]
        )

    store = ctx.store()
    try:
        _emit(ctx.args.format, store.iter_calls(query), call_record, CALL_FIELDS, line)
    finally:
        store.close()
    return 0


def cmd_messages(ctx: Context) -> int:
    region = ctx.settings.default_region

    def line(row: MessageRow) -> str:
        body = row.body if ctx.args.verbose else f"({len(row.body)} characters; -v shows them)"
        return (
            f"{local_time(row.created_utc)}  {printable(format_number(row.from_, region)):<16} -> "
            f"{printable(format_number(row.to, region)):<16}  "
            f"{len(row.attachments)} attachment(s)  {printable(body)}"
        )

    store = ctx.store()
    try:
        rows = store.messages(limit=ctx.args.limit)
    finally:
        store.close()
    _emit(ctx.args.format, rows, message_record, MESSAGE_FIELDS, line)
    return 0


def cmd_presence(ctx: Context) -> int:
    store = ctx.store()
    try:
        rows = store.presence()
    finally:
        store.close()
    if ctx.args.json:
        write_json(map(presence_record, rows), sys.stdout)
        return 0
    for row in rows:
        line = f"ext {printable(row.extension):<6} {row.state:<12} {printable(row.status):<14} {local_time(row.updated_utc)}"
        if row.connected_line_number or row.connected_line_name:
            line += f"  with {printable(row.connected_line_number)} {printable(row.connected_line_name)}"
        print(line)
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
    from intulse_desktop.intulse_api import ApiKeyError, ApiResult, IntulseApi
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
    try:
        api = IntulseApi.from_settings(settings, ctx.api_key())
    except ApiKeyError as exc:
        raise UsageError(f"{exc} (set it again with `{APP_NAME} set-api-key`)") from None

    async def register() -> dict[str, ApiResult]:
        async with api:
            return await api.register(urls)

    results = asyncio.run(register())
    width = max(map(len, results))
    for event_type, result in results.items():
        print(f"{event_type:<{width}}  {'ok' if result.ok else 'FAILED'}: {result.message}")
    return 0 if all(result.ok for result in results.values()) else 1


def read_secret(what: str) -> str:
    """A secret from a prompt that does not echo it, or from stdin when piped; never from argv."""
    try:
        if sys.stdin.isatty():
            return getpass.getpass(f"{what} (not shown as you type): ")
        return sys.stdin.readline()
    except EOFError:
        return ""


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

    settings = ctx.settings
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
    print(f"FAILED ({result.step}): {result.message}")
    print(f"what to do: {result.advice}")
    return 1


# --- the office hub -----------------------------------------------------------------------


def cmd_hub(ctx: Context) -> int:
    action = ctx.args.hub_action
    if action is not None:
        return HUB_ACTIONS[action](ctx)
    from intulse_desktop import hub
    from intulse_desktop.service import ReceiverError, Service

    host, port = ctx.listen_address(ctx.args.hub_host, ctx.args.hub_port)
    ssl_context = _server_tls(ctx.args.certfile, ctx.args.keyfile)
    users = _hub_users(ctx)
    service = Service(ctx.paths, ctx.settings, ctx.webhook_secret(), journal=True)
    try:
        running = hub.run(service, users, host, port, ssl_context=ssl_context, verbose=ctx.args.verbose)
        return asyncio.run(running)
    except ReceiverError as exc:
        raise Failed(str(exc)) from None
    finally:
        users.close()


def _server_tls(certfile: str | None, keyfile: str | None) -> Any:
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


def _hub_users(ctx: Context) -> Any:
    from intulse_desktop.hub_users import Users, UsersError

    try:
        return Users(ctx.paths.ensure().hub_users)
    except UsersError as exc:
        raise Failed(str(exc)) from None


def cmd_hub_add_user(ctx: Context) -> int:
    from intulse_desktop.hub_users import UsersError, parse_presence

    args = ctx.args
    numbers = [n.strip() for n in (args.numbers or "").split(",") if n.strip()]
    users = _hub_users(ctx)
    try:
        user, token = users.add(
            args.extension,
            numbers,
            user_id=args.user_id,
            name=args.name or "",
            presence=parse_presence(args.presence or ""),
            region=ctx.settings.default_region,
        )
    except UsersError as exc:
        raise UsageError(str(exc)) from None
    finally:
        users.close()
    connect = f"{APP_NAME} hub connect {ctx.settings.base_url()}"
    if args.json:
        print(json.dumps({"user": user.describe(), "token": token, "connect": connect}, indent=2))
        return 0
    print(f"added user {user.id}: {_user_line(user)}")
    print(f"token (shown only now: the hub keeps just a hash of it):\n  {token}")
    print(f"on that desktop, run this and paste the token when asked (or pipe it in):\n  {connect}")
    return 0


def _user_line(user: Any) -> str:
    numbers = ", ".join(user.numbers) or "no numbers"
    presence = "all" if user.presence == "all" else ", ".join(user.presence) or "own only"
    parts = [f"ext {user.extension}", numbers]
    if user.user_id is not None:
        parts.append(f"user id {user.user_id}")
    parts.append(f"presence: {presence}")
    if user.name:
        parts.append(printable(user.name))
    return "; ".join(parts)


def cmd_hub_list_users(ctx: Context) -> int:
    users = _hub_users(ctx)
    try:
        rows = users.all()
    finally:
        users.close()
    if ctx.args.json:
        print(json.dumps([user.describe() for user in rows], indent=2))
    else:
        for user in rows:
            print(f"{user.id:>4}  {_user_line(user)}")
    return 0


def cmd_hub_remove_user(ctx: Context) -> int:
    users = _hub_users(ctx)
    try:
        if ctx.args.id is not None:
            found = [u for u in [users.get(ctx.args.id)] if u is not None]
            what = f"user {ctx.args.id}"
        else:
            found = users.with_extension(ctx.args.extension)
            what = f"user with ext {ctx.args.extension}"
        if not found:
            raise Failed(f"no {what} (see `{APP_NAME} hub list-users`)")
        users.remove([u.id for u in found])
    finally:
        users.close()
    for user in found:
        print(f"removed user {user.id}: {_user_line(user)}")
    print("its token no longer works; a running hub closes its connections within a second")
    return 0


def cmd_hub_connect(ctx: Context) -> int:
    import aiohttp

    from intulse_desktop.hub_client import Rejected, check
    from intulse_desktop.hub_users import looks_like_token

    url = ctx.settings.with_values({"hub_url": ctx.args.url}).hub_url
    if not url:
        raise UsageError("give the hub's address, e.g. https://hub.example.com")
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
    settings = ctx.settings.with_values(
        {
            "receive_from": "hub",
            "hub_url": url,
            "extension": identity.get("extension", ctx.settings.extension),
            "my_numbers": identity.get("numbers", ctx.settings.my_numbers),
            "user_id": identity.get("user_id", ctx.settings.user_id),
        }
    )
    ctx.secrets.set(HUB_TOKEN, token)
    settings.save(ctx.paths.settings_file)
    numbers = ", ".join(settings.my_numbers) or "no numbers"
    print(f"connected: the hub at {url} knows this desktop as ext {settings.extension} ({numbers})")
    print(f"this desktop now receives from the hub (token in {ctx.secrets.location})")
    print(f"restart {APP_NAME} if it is running")
    return 0


HUB_ACTIONS: dict[str, Callable[[Context], int]] = {
    "add-user": cmd_hub_add_user,
    "list-users": cmd_hub_list_users,
    "remove-user": cmd_hub_remove_user,
    "connect": cmd_hub_connect,
}


# --- parser -------------------------------------------------------------------------------


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _int64(text: str) -> int:
    value = _whole_number(text)
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise argparse.ArgumentTypeError(f"must be between {-INT64_MAX - 1} and {INT64_MAX}")
    return value


def _positive(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    if value > INT64_MAX:
        raise argparse.ArgumentTypeError(f"must be at most {INT64_MAX}")
    return value


PATH_ARGUMENTS = {"data_dir", "certfile", "keyfile"}  # a file name may be any bytes


def _not_text(args: argparse.Namespace) -> str | None:
    """The first argument holding bytes that are not UTF-8."""
    for name, value in vars(args).items():
        if isinstance(value, str) and name not in PATH_ARGUMENTS and not is_utf8(value):
            return name
    return None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="keep settings, secrets and the call log in DIR (also: INTULSE_DESKTOP_HOME)",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more, show text bodies"
    )

    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        parents=[common],
        description="Caller-ID pop-ups, presence and a call log from Intulse webhooks. "
        "With no command, starts the tray app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--headless", action="store_true", help="receive and store webhooks with no GUI")
    parser.add_argument("--host", help="listen on this address (default: the listen_host setting)")
    parser.add_argument("--port", type=_port, help="listen on this port (default: the listen_port setting)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Callable[[Context], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    def output(p: argparse.ArgumentParser, csv: bool = True) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument("--json", dest="format", action="store_const", const="json", help="print JSON")
        if csv:
            group.add_argument("--csv", dest="format", action="store_const", const="csv", help="print CSV")

    p = command("webhook-url", cmd_webhook_url, "print the URL to register with Intulse for each event type")
    p.add_argument("--json", action="store_true", help="print a JSON object keyed by event type")

    p = command("config", cmd_config, "read or change settings")
    actions = p.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    actions.add_parser("list", parents=[common], help="print every setting")
    actions.add_parser("get", parents=[common], help="print one setting").add_argument("key", metavar="KEY")
    setter = actions.add_parser(
        "set", parents=[common], help="change one setting (my_numbers: comma-separated)"
    )
    setter.add_argument("key", metavar="KEY")
    setter.add_argument("value", metavar="VALUE")

    p = command("calls", cmd_calls, "list calls from the log, newest first")
    output(p)
    p.add_argument("--search", metavar="TEXT", help="name or number (formatting ignored)")
    p.add_argument("--missed", action="store_true", help="only missed calls")
    p.add_argument("--limit", type=_positive, metavar="N", help="at most N calls")

    p = command("messages", cmd_messages, "list texts from the log, newest first")
    output(p)
    p.add_argument("--limit", type=_positive, metavar="N", help="at most N texts")

    p = command("presence", cmd_presence, "print the latest state of each extension")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("send-test", cmd_send_test, "post a sample event to the configured webhook URL")
    p.add_argument("event", metavar="EVENT", choices=EVENT_TYPES, help=" | ".join(EVENT_TYPES))
    p.add_argument("--extension", metavar="X", help="the extension in the sample (default: mine)")
    p.add_argument("--to", metavar="NUMBER", help="the To number of a sample text (default: my first number)")

    p = command("register", cmd_register, "register the four webhooks with Intulse (needs the API key)")
    p.add_argument("--public-url", metavar="URL", help="save this as the public URL first")

    p = command("set-api-key", cmd_set_api_key, "store the Intulse API key (asked for, or read from stdin)")
    p.add_argument("--clear", action="store_true", help="remove the stored key instead")

    command("test-delivery", cmd_test_delivery, "post a test to the public webhook URL; see it arrive here")

    p = command("hub", cmd_hub, "run an office hub (the receiver for every desktop), or manage its users")
    p.add_argument(
        "--host", dest="hub_host", metavar="HOST", help="listen here (default: the listen_host setting)"
    )
    p.add_argument(
        "--port", dest="hub_port", type=_port, metavar="PORT", help="default: the listen_port setting"
    )
    p.add_argument("--certfile", metavar="PEM", help="serve HTTPS/WSS with this certificate (chain)")
    p.add_argument("--keyfile", metavar="PEM", help="the certificate's private key, if not in --certfile")
    actions = p.add_subparsers(dest="hub_action", metavar="ACTION")
    a = actions.add_parser("add-user", parents=[common], help="add a desktop user; prints its token once")
    a.add_argument("--extension", required=True, metavar="X", help="the user's extension")
    a.add_argument("--numbers", metavar="N[,N…]", help="the user's phone numbers (texts to them are theirs)")
    a.add_argument(
        "--user-id", type=_int64, metavar="N", help="their Intulse user id (their calls on any extension)"
    )
    a.add_argument("--name", metavar="TEXT", help="a name, for list-users")
    a.add_argument(
        "--presence",
        metavar="all|X[,X…]",
        help="whose presence they see besides their own: all, or extensions",
    )
    a.add_argument("--json", action="store_true", help="print the user and the token as JSON")
    a = actions.add_parser("list-users", parents=[common], help="list the hub's users (tokens are not kept)")
    a.add_argument("--json", action="store_true", help="print JSON")
    a = actions.add_parser(
        "remove-user", parents=[common], help="remove a user: its token stops working at once"
    )
    which = a.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=_int64, metavar="N", help="the user's id (list-users)")
    which.add_argument("--extension", metavar="X", help="every user with this extension")
    a = actions.add_parser(
        "connect",
        parents=[common],
        help="on a desktop: receive from this hub (asks for the token; checks it first)",
    )
    a.add_argument("url", metavar="URL", help="the hub's address, e.g. https://hub.example.com")
    return parser


def main(argv: list[str] | None = None) -> int:
    prepare_process()  # private files, enough descriptors: before anything is opened
    parser = build_parser()
    args = parser.parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    not_text = _not_text(args)
    if not_text:
        parser.error(f"the {not_text.replace('_', '-')} given is not UTF-8 text")
    if args.command and (args.headless or args.host or args.port is not None):
        parser.error("--headless, --host and --port go without a command")
    hub_action = getattr(args, "hub_action", None)
    if hub_action and (args.hub_host or args.hub_port is not None or args.certfile or args.keyfile):
        parser.error("--host, --port, --certfile and --keyfile go with `hub` alone")
    redactor = Redactor()
    long_running = not args.command or (args.command == "hub" and not hub_action)
    setup_logging(
        redactor,
        "DEBUG" if args.verbose else "INFO" if long_running else "WARNING",
        timestamps=long_running,
    )
    try:
        ctx = Context(args, redactor)
        if args.command:
            return args.handler(ctx)
        return cmd_headless(ctx) if args.headless else cmd_gui(ctx)
    except (UsageError, SettingsError, SecretsError) as exc:
        print(f"{APP_NAME}: error: {exc}", file=sys.stderr)
        return 2
    except (Failed, StoreError) as exc:
        print(f"{APP_NAME}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `intulse-desktop calls | head`
        sys.stderr.close()
        return 0
