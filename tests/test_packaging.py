"""The installers' metadata agrees with the app: version, names and the autostart entry."""

from __future__ import annotations

import configparser
import plistlib
import tomllib
from pathlib import Path
from xml.etree import ElementTree

from intulse_desktop import APP_NAME, __version__
from intulse_desktop.autostart import DISPLAY_NAME

REPO = Path(__file__).resolve().parent.parent
PACKAGING = REPO / "packaging"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(PACKAGING / "linux" / f"{APP_NAME}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_starts_the_app_with_its_icon() -> None:
    entry = desktop_entry()
    assert (entry["Exec"], entry["Icon"], entry["Type"]) == (APP_NAME, APP_NAME, "Application")
    assert entry["X-GNOME-Autostart-enabled"] == "true"


def test_metainfo_names_the_desktop_file_and_lists_this_version_first() -> None:
    root = ElementTree.parse(PACKAGING / "linux" / "com.intulse.desktop.metainfo.xml").getroot()
    assert root.findtext("launchable") == f"{APP_NAME}.desktop"
    newest = root.find("releases/release")
    assert newest is not None
    assert newest.get("version") == __version__


def test_macos_bundle_is_a_tray_only_app_of_this_version() -> None:
    with open(PACKAGING / "macos" / "Info.plist", "rb") as f:
        info = plistlib.load(f)
    assert info["LSUIElement"] is True
    assert info["CFBundleShortVersionString"] == info["CFBundleVersion"] == __version__


def test_windows_installer_is_per_user_and_offers_start_at_sign_in() -> None:
    script = (PACKAGING / "windows" / f"{APP_NAME}.iss").read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in script
    assert r'Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"' in script
    assert f"{APP_NAME}.exe" in script
    # the value Settings' "start at login" reads and writes, so the two agree on one entry
    assert f'#define AppName "{DISPLAY_NAME}"' in script
    assert 'ValueName: "{#AppName}"' in script


def test_generated_icons_are_committed_for_every_installer() -> None:
    icons = PACKAGING / "icons"
    assert (icons / f"{APP_NAME}.ico").stat().st_size > 0
    assert (icons / f"{APP_NAME}.icns").read_bytes()[:4] == b"icns"
    sizes = sorted(
        int(p.parent.parent.name.split("x")[0]) for p in icons.glob(f"hicolor/*/apps/{APP_NAME}.png")
    )
    assert sizes == [16, 24, 32, 48, 64, 128, 256, 512]


def test_every_package_is_listed_for_the_wheel() -> None:
    # pyproject lists the packages (resources/ is mapped into intulse_desktop), so a new
    # package under intulse_desktop/ must be added there or the wheel goes without it.
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "intulse_desktop").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found <= listed, sorted(found - listed)
