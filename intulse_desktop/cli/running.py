"""Running the app: the tray app (the default) and ``--headless``."""

from __future__ import annotations

import asyncio

from intulse_desktop.context import Context, Failed
from intulse_desktop.secrets import CARDDAV_PASSWORD


def cmd_headless(ctx: Context) -> int:
    from intulse_desktop import headless
    from intulse_desktop.service import ReceiverError, Service

    host, port = ctx.listen_address(ctx.args.host, ctx.args.port)
    hub = ctx.hub_connection() if ctx.settings.receive_from == "hub" else None
    service = Service(
        ctx.paths.ensure(),
        ctx.settings,
        ctx.webhook_secret(),
        carddav_password=lambda: ctx.secrets.get(CARDDAV_PASSWORD),
    )
    try:
        return asyncio.run(headless.run(service, host, port, verbose=ctx.args.verbose, hub=hub))
    except ReceiverError as exc:
        raise Failed(str(exc)) from None


def cmd_gui(ctx: Context) -> int:
    from intulse_desktop.ui.app import run_gui  # Qt: only for the tray app

    ctx.webhook_secret()  # a broken secrets file is said before the app starts (show_gui_problem)
    listen = ctx.listen_address(ctx.args.host, ctx.args.port)
    return run_gui(ctx.paths, ctx.settings, ctx.secrets, listen, ctx.args.verbose)


def show_gui_problem(problem: Exception, data_dir: str | None) -> None:
    """The tray app could not start: say why in a window too, with the config folder to open."""
    from intulse_desktop.paths import Paths
    from intulse_desktop.ui.app import show_start_problem  # Qt: only for the tray app

    show_start_problem(str(problem), Paths.resolve(data_dir).config_dir)
