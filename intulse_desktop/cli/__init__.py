"""The command line: the tray app by default, ``--headless``, and the commands scripts use.

Exit codes: 0 done, 1 failed (network, disk), 2 bad usage or configuration —
always with one clear line on stderr, never a traceback. The commands live by
the README's groups: ``running``, ``setup``, ``calllog`` and ``hub``; every
flag is in ``parser``, the argument types in ``arguments``.
"""

from __future__ import annotations

import sys

from intulse_desktop import APP_NAME
from intulse_desktop.cli.parser import parse
from intulse_desktop.cli.running import cmd_gui, cmd_headless, show_gui_problem
from intulse_desktop.context import Context, Failed, UsageError
from intulse_desktop.logs import Redactor, setup_logging
from intulse_desktop.process import prepare_process
from intulse_desktop.secrets import SecretsError
from intulse_desktop.settings import SettingsError
from intulse_desktop.store import StoreError


def main(argv: list[str] | None = None) -> int:
    prepare_process()  # private files, enough descriptors: before anything is opened
    args = parse(argv)
    redactor = Redactor()
    long_running = not args.command or (args.command == "hub" and not args.hub_action)
    setup_logging(
        redactor,
        "DEBUG" if args.verbose else "INFO" if long_running else "WARNING",
        timestamps=long_running,
    )
    try:
        ctx = Context(args, redactor)
        if args.command:
            code: int = args.handler(ctx)
            return code
        return cmd_headless(ctx) if args.headless else cmd_gui(ctx)
    except (UsageError, SettingsError, SecretsError) as exc:
        print(f"{APP_NAME}: error: {exc}", file=sys.stderr)
        if not args.command and not args.headless and not isinstance(exc, UsageError):
            show_gui_problem(exc, getattr(args, "data_dir", None))
        return 2
    except (Failed, StoreError) as exc:
        print(f"{APP_NAME}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `intulse-desktop calls | head`
        sys.stderr.close()
        return 0
