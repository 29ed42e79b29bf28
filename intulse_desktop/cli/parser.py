"""Every command, flag and help text; ``parse`` also refuses combinations argparse cannot express."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from intulse_desktop import APP_NAME, __version__
from intulse_desktop.cli.arguments import int64, not_text, port_number, positive
from intulse_desktop.cli.calllog import cmd_calls, cmd_messages, cmd_presence
from intulse_desktop.cli.contacts import (
    cmd_contacts_add,
    cmd_contacts_import,
    cmd_contacts_list,
    cmd_contacts_remove,
    cmd_contacts_set_password,
    cmd_contacts_sync,
    cmd_contacts_vip,
)
from intulse_desktop.cli.hub import (
    cmd_hub,
    cmd_hub_add_user,
    cmd_hub_connect,
    cmd_hub_list_users,
    cmd_hub_remove_user,
    cmd_hub_set_broker_password,
)
from intulse_desktop.cli.setup import (
    cmd_config,
    cmd_register,
    cmd_send_test,
    cmd_set_api_key,
    cmd_test_delivery,
    cmd_webhook_url,
)
from intulse_desktop.context import Context
from intulse_desktop.events import EVENT_TYPES
from intulse_desktop.settings import TUNNEL_CHOICES

Handler = Callable[[Context], int]


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
    parser.add_argument(
        "--port", type=port_number, help="listen on this port (default: the listen_port setting)"
    )
    tunnel_flag(parser, "--tunnel")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
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
    p.add_argument("--limit", type=positive, metavar="N", help="at most N calls")

    p = command("messages", cmd_messages, "list texts from the log, newest first")
    output(p)
    p.add_argument("--limit", type=positive, metavar="N", help="at most N texts")

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

    p = sub.add_parser("contacts", parents=[common], help="the address book: names for numbers")
    _contacts_actions(p, common)

    p = command("hub", cmd_hub, "run an office hub (the receiver for every desktop), or manage its users")
    _hub_actions(p, common)
    return parser


def tunnel_flag(parser: argparse.ArgumentParser, flag: str, dest: str = "tunnel") -> None:
    parser.add_argument(
        flag,
        dest=dest,
        choices=TUNNEL_CHOICES,
        metavar="NAME",
        help=f"run this tunnel to the receiver and register its address ({' | '.join(TUNNEL_CHOICES)}; "
        "default: the tunnel setting)",
    )


def _hub_actions(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """``hub``'s own flags, and its actions, each with its handler (which replaces ``cmd_hub``)."""
    p.add_argument(
        "--host", dest="hub_host", metavar="HOST", help="listen here (default: the listen_host setting)"
    )
    p.add_argument(
        "--port", dest="hub_port", type=port_number, metavar="PORT", help="default: the listen_port setting"
    )
    p.add_argument("--certfile", metavar="PEM", help="serve HTTPS/WSS with this certificate (chain)")
    p.add_argument("--keyfile", metavar="PEM", help="the certificate's private key, if not in --certfile")
    tunnel_flag(p, "--tunnel", "hub_tunnel")
    broker = argparse.ArgumentParser(add_help=False)
    for parser in (p, broker):  # given on `hub` or on a users action, either counts
        parser.add_argument(
            "--broker",
            metavar="nats://HOST:PORT[,…]",
            default=argparse.SUPPRESS,
            help="several hubs, one log: the NATS JetStream servers (default: the broker_url setting)",
        )
    actions = p.add_subparsers(dest="hub_action", metavar="ACTION")

    def action(name: str, handler: Handler, help: str, *, brokered: bool = False) -> argparse.ArgumentParser:
        a = actions.add_parser(name, parents=[common, broker] if brokered else [common], help=help)
        a.set_defaults(handler=handler)
        return a

    a = action("add-user", cmd_hub_add_user, "add a desktop user; prints its token once", brokered=True)
    a.add_argument("--extension", required=True, metavar="X", help="the user's extension")
    a.add_argument("--numbers", metavar="N[,N…]", help="the user's phone numbers (texts to them are theirs)")
    a.add_argument(
        "--user-id", type=int64, metavar="N", help="their Intulse user id (their calls on any extension)"
    )
    a.add_argument("--name", metavar="TEXT", help="a name, for list-users")
    a.add_argument(
        "--presence",
        metavar="all|X[,X…]",
        help="whose presence they see besides their own: all, or extensions",
    )
    a.add_argument(
        "--presence-state-only",
        action="store_true",
        help="others' presence without who they are talking to (ConnectedLineName/Number)",
    )
    a.add_argument("--json", action="store_true", help="print the user and the token as JSON")
    a = action("list-users", cmd_hub_list_users, "list the hub's users (tokens are not kept)", brokered=True)
    a.add_argument("--json", action="store_true", help="print JSON")
    a = action(
        "remove-user", cmd_hub_remove_user, "remove a user: its token stops working at once", brokered=True
    )
    which = a.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int64, metavar="N", help="the user's id (list-users)")
    which.add_argument("--extension", metavar="X", help="every user with this extension")
    a = action(
        "connect",
        cmd_hub_connect,
        "on a desktop: receive from this hub (asks for the token; checks it first)",
    )
    a.add_argument(
        "url",
        metavar="URL[,URL…]",
        help="the hub's address, e.g. https://hub.example.com; several hubs: each, comma-separated",
    )
    a = action(
        "set-broker-password",
        cmd_hub_set_broker_password,
        "store the NATS password of the broker_user setting (asked for, or read from stdin)",
    )
    a.add_argument("--clear", action="store_true", help="remove the stored password instead")


def _contacts_actions(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="contacts_action", metavar="ACTION", required=True)

    def action(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        a = actions.add_parser(name, parents=[common], help=help, description=help)
        a.set_defaults(handler=handler)
        return a

    a = action(
        "import",
        cmd_contacts_import,
        "import a vCard (.vcf) or Google/Outlook CSV file; importing again updates, never duplicates",
    )
    a.add_argument("contacts_file", metavar="FILE")
    a = action("list", cmd_contacts_list, "list the contacts by name")
    a.add_argument("--json", action="store_true", help="print JSON")
    a.add_argument("--search", metavar="TEXT", help="only contacts whose name or organisation holds TEXT")
    a = action("add", cmd_contacts_add, "add a contact with one or more numbers; prints its id")
    a.add_argument("name", metavar="NAME")
    a.add_argument("numbers", metavar="NUMBER", nargs="+")
    a.add_argument("--organisation", metavar="TEXT", help="the company")
    a.add_argument("--vip", action="store_true", help="pops up even in quiet hours and do-not-disturb")
    a = action("remove", cmd_contacts_remove, "remove a contact (its id from `contacts list`)")
    a.add_argument("id", type=int64, metavar="ID")
    a = action("vip", cmd_contacts_vip, "mark a contact VIP: it pops up in quiet hours and do-not-disturb")
    a.add_argument("id", type=int64, metavar="ID")
    a.add_argument("--off", action="store_true", help="no longer a VIP")
    action("sync", cmd_contacts_sync, "sync the CardDAV address book (carddav_url) now")
    a = action("set-password", cmd_contacts_set_password, "store the CardDAV app password (asked for)")
    a.add_argument("--clear", action="store_true", help="remove the stored password instead")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The arguments, or exit 2 with argparse's usage message."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    name = not_text(args)
    if name:
        parser.error(f"the {name.replace('_', '-')} given is not UTF-8 text")
    if args.command and (args.headless or args.host or args.port is not None or args.tunnel):
        parser.error("--headless, --host, --port and --tunnel go without a command")
    if args.tunnel and not args.headless:
        parser.error("--tunnel goes with --headless (the tray app runs the tunnel setting's tool)")
    hub_action = getattr(args, "hub_action", None)
    if hub_action and (
        args.hub_host or args.hub_port is not None or args.certfile or args.keyfile or args.hub_tunnel
    ):
        parser.error("--host, --port, --certfile, --keyfile and --tunnel go with `hub` alone")
    if getattr(args, "hub_tunnel", None) not in (None, "none") and args.certfile:
        parser.error("--tunnel and --certfile: the tunnel already serves HTTPS; choose one")
    return args
