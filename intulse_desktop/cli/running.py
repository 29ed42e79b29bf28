"""Running the app: the tray app (the default) and ``--headless``."""

from __future__ import annotations

import asyncio
import os
import sys

from intulse_desktop import APP_NAME
from intulse_desktop.context import Context, Failed, UsageError
from intulse_desktop.secrets import CARDDAV_PASSWORD


def cmd_headless(ctx: Context) -> int:
    from intulse_desktop import headless
    from intulse_desktop.service import ReceiverError, Service
    from intulse_desktop.tunnel.manager import ManagedTunnel

    host, port = ctx.listen_address(ctx.args.host, ctx.args.port)
    hub = ctx.hub_connection() if ctx.settings.receive_from == "hub" else None
    service = Service(
        ctx.paths.ensure(),
        ctx.settings,
        ctx.webhook_secret(),
        carddav_password=lambda: ctx.secrets.get(CARDDAV_PASSWORD),
    )
    tunnel = ManagedTunnel.for_service(service, ctx.settings, ctx.secrets, ctx.args.tunnel)
    try:
        running = headless.run(service, host, port, verbose=ctx.args.verbose, hub=hub, tunnel=tunnel)
        return asyncio.run(running)
    except ReceiverError as exc:
        raise Failed(str(exc)) from None


def cmd_gui(ctx: Context) -> int:
    if not has_display(os.environ, sys.platform):
        raise UsageError(
            f"no graphical session: run `{APP_NAME} --headless` to receive webhooks without one "
            "(or start the tray app from a desktop session)"
        )
    from intulse_desktop.ui.app import run_gui  # Qt: only for the tray app

    ctx.webhook_secret()  # a broken secrets file is said before the app starts (show_gui_problem)
    listen = ctx.listen_address(ctx.args.host, ctx.args.port)
    return run_gui(ctx.paths, ctx.settings, ctx.secrets, listen, ctx.args.verbose)


def has_display(environ: os._Environ[str] | dict[str, str], platform: str) -> bool:
    """Whether the tray app can open windows: on Linux, Qt aborts (a core dump) without X11 or
    Wayland, unless ``QT_QPA_PLATFORM`` picks a platform that needs neither (offscreen, vnc)."""
    if not platform.startswith("linux"):
        return True
    return any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def show_gui_problem(problem: Exception, data_dir: str | None) -> None:
    """The tray app could not start: say why in a window too, with the config folder to open."""
    from intulse_desktop.paths import Paths
    from intulse_desktop.ui.app import show_start_problem  # Qt: only for the tray app

    show_start_problem(str(problem), Paths.resolve(data_dir).config_dir)
