"""Start at login: an XDG autostart entry, a Windows ``Run`` value or a macOS LaunchAgent.

The entry itself is the setting: ``is_enabled`` reads it, so turning it off in
the desktop's own startup settings is respected rather than overwritten.
``platform`` defaults to ``sys.platform``; tests pass another to try each branch.
"""

from __future__ import annotations

import importlib
import os
import plistlib
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from intulse_desktop import APP_NAME
from intulse_desktop.atomic import write_atomic

DISPLAY_NAME = "Intulse Desktop"
MACOS_LABEL = "com.intulse.desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"

# Desktop Entry spec, "The Exec key": arguments with these characters are quoted.
_RESERVED = re.compile(r"""[\s"'\\><~|&;$*?#()`]""")


def command() -> list[str]:
    """What starts the app: the frozen executable, else the console script, else ``python -m``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = shutil.which(APP_NAME)
    if script:
        return [str(Path(script).absolute())]
    return [sys.executable, "-m", "intulse_desktop"]


def enable(platform: str | None = None) -> None:
    """Start the app at login from now on (replacing any entry, so it points at this install)."""
    platform = platform or sys.platform
    if platform == "win32":
        winreg = _winreg()

        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, DISPLAY_NAME, 0, winreg.REG_SZ, subprocess.list2cmdline(command()))
    elif platform == "darwin":
        plist = {
            "Label": MACOS_LABEL,
            "ProgramArguments": command(),
            "RunAtLoad": True,
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",  # a GUI login, not ssh
        }
        write_atomic(_launch_agent(), plistlib.dumps(plist).decode("utf-8"), mode=0o644)
    else:
        write_atomic(_desktop_entry(), _desktop_file(command()), mode=0o644)


def disable(platform: str | None = None) -> None:
    """Start no more at login; nothing to do if it was off."""
    platform = platform or sys.platform
    if platform == "win32":
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, DISPLAY_NAME)
        except FileNotFoundError:
            pass
    else:
        (_launch_agent() if platform == "darwin" else _desktop_entry()).unlink(missing_ok=True)


def is_enabled(platform: str | None = None) -> bool:
    platform = platform or sys.platform
    if platform == "win32":
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, DISPLAY_NAME)
        except FileNotFoundError:
            return False
        return True
    if platform == "darwin":
        return _launch_agent().exists()
    try:
        lines = _desktop_entry().read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return False
    # Desktops switch an entry off in place rather than removing it.
    return not {"Hidden=true", "X-GNOME-Autostart-enabled=false"} & {line.strip() for line in lines}


def _winreg() -> ModuleType:
    """``winreg``, looked up when used: only Windows has it (and tests put a fake in its place).

    Typed as a plain module, so mypy on Linux and macOS, whose ``winreg`` is empty, accepts the calls.
    """
    return importlib.import_module("winreg")


def _desktop_entry() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(config) if os.path.isabs(config) else Path.home() / ".config"  # XDG: ignore a relative one
    return base / "autostart" / f"{APP_NAME}.desktop"


def _launch_agent() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{MACOS_LABEL}.plist"


def _desktop_file(argv: list[str]) -> str:
    exec_line = " ".join(_exec_arg(arg) for arg in argv)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={DISPLAY_NAME}\n"
        "Comment=Caller-ID pop-ups for Intulse phones\n"
        f"Exec={exec_line}\n"
        f"Icon={APP_NAME}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def _exec_arg(arg: str) -> str:
    """One argument for an Exec line: quoted if it must be, then escaped as a desktop-file string."""
    if _RESERVED.search(arg):
        arg = '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'
    return arg.replace("\\", "\\\\").replace("%", "%%")
