"""Icons and sounds, found the same way in a wheel, an editable install and a
PyInstaller bundle (``importlib.resources``).

This folder is the repository's top-level ``resources/``, installed as the package
``intulse_desktop.resources`` (pyproject.toml: package-dir; the PyInstaller spec
and its hooks/pre_find_module_path/ do the same for the frozen app).

No Qt here: the GUI turns these bytes and paths into QIcons and QSoundEffects.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path

from intulse_desktop import APP_NAME
from intulse_desktop.events import PhoneState

RECEIVER_PROBLEM = "receiver_problem"  # not a phone state: the app's own trouble, with its own icon

# Each phone state and the receiver's trouble, to its icon. busy is a phone in a
# call; unknown shares unavailable's grey: we cannot say it is free.
TRAY_ICONS = {
    PhoneState.IDLE: "idle",
    PhoneState.RINGING: "ringing",
    PhoneState.IN_USE: "in_use",
    PhoneState.BUSY: "in_use",
    PhoneState.ON_HOLD: "on_hold",
    PhoneState.UNAVAILABLE: "unavailable",
    PhoneState.UNKNOWN: "unavailable",
    RECEIVER_PROBLEM: "receiver_problem",
}

# Where the GUI paints the missed-call count, as fractions of the icon's side
# (x, y, width, height): the top-right 14/32. The glyphs keep clear of it.
BADGE = (18 / 32, 0.0, 14 / 32, 14 / 32)

SOUNDS = ("ring", "missed", "text")  # incoming call, missed call, text message

_ROOT = files(__name__)
_extracted = contextlib.ExitStack()  # files copied out of a zip live until exit
atexit.register(_extracted.close)


def _tray(state: str) -> Traversable:
    try:
        return _ROOT / "tray" / f"{TRAY_ICONS[state]}.svg"
    except KeyError:
        raise ValueError(f"no tray icon for state {state!r}") from None


def tray_icon_svg(state: str) -> bytes:
    return _tray(state).read_bytes()


@functools.cache
def tray_icon_path(state: str) -> Path:
    """A file path, for ``QIcon(str(path))``, which renders the SVG sharp at every size."""
    return _extracted.enter_context(as_file(_tray(state)))


@functools.cache
def app_icon_path() -> Path:
    """The window icon; installers use the PNG/.ico/.icns renderings in packaging/icons/."""
    return _extracted.enter_context(as_file(_ROOT / "app" / f"{APP_NAME}.svg"))


@functools.cache
def sound_path(kind: str) -> Path:
    """A WAV file path, for ``QSoundEffect.setSource(QUrl.fromLocalFile(...))``."""
    if kind not in SOUNDS:
        raise ValueError(f"no sound {kind!r} (one of {', '.join(SOUNDS)})")
    return _extracted.enter_context(as_file(_ROOT / "sounds" / f"{kind}.wav"))
