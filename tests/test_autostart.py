"""Start at login on each platform, in a temporary home (and a fake registry for Windows)."""

from __future__ import annotations

import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from intulse_desktop import autostart

ARGV = ["/opt/intulse/bin/intulse-desktop"]


@pytest.fixture
def argv(monkeypatch) -> list[str]:
    monkeypatch.setattr(autostart, "command", lambda: list(ARGV))
    return ARGV


def entry(home: Path) -> Path:
    return home / ".config" / "autostart" / "intulse-desktop.desktop"


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


# --- what is started -----------------------------------------------------------------------


def test_a_frozen_app_starts_its_own_executable(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert autostart.command() == [sys.executable]


def test_an_installed_app_starts_its_console_script(monkeypatch, tmp_path):
    script = tmp_path / "bin" / "intulse-desktop"
    monkeypatch.setattr(autostart.shutil, "which", {"intulse-desktop": str(script)}.get)
    assert autostart.command() == [str(script)]


def test_without_a_console_script_python_runs_the_package(monkeypatch):
    monkeypatch.setattr(autostart.shutil, "which", lambda name: None)
    assert autostart.command() == [sys.executable, "-m", "intulse_desktop"]


# --- Linux ---------------------------------------------------------------------------------


def test_linux_enable_writes_an_xdg_autostart_entry(argv, home):
    autostart.enable("linux")
    text = entry(home).read_text()
    assert text.startswith("[Desktop Entry]\n")
    assert f"Exec={ARGV[0]}\n" in text
    assert "Type=Application\n" in text
    assert autostart.is_enabled("linux")


def test_linux_honours_xdg_config_home(argv, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "elsewhere"))
    autostart.enable("linux")
    assert (tmp_path / "elsewhere" / "autostart" / "intulse-desktop.desktop").exists()


def test_linux_ignores_a_relative_xdg_config_home(argv, monkeypatch, home):
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")
    autostart.enable("linux")
    assert entry(home).exists()


def test_linux_disable_removes_the_entry(argv, home):
    autostart.enable("linux")
    autostart.disable("linux")
    assert not entry(home).exists()
    assert not autostart.is_enabled("linux")


def test_disabling_what_is_not_enabled_is_fine():
    autostart.disable("linux")
    assert not autostart.is_enabled("linux")


@pytest.mark.parametrize("switch", ["Hidden=true", "X-GNOME-Autostart-enabled=false"])
def test_an_entry_switched_off_by_the_desktop_is_not_enabled(argv, home, switch):
    autostart.enable("linux")
    path = entry(home)
    path.write_text(path.read_text().replace("X-GNOME-Autostart-enabled=true", switch))
    assert not autostart.is_enabled("linux")


def test_enabling_again_switches_a_disabled_entry_back_on(argv, home):
    autostart.enable("linux")
    path = entry(home)
    path.write_text(path.read_text() + "Hidden=true\n")
    autostart.enable("linux")
    assert autostart.is_enabled("linux")


def test_exec_quotes_spaces_and_escapes_percent_and_dollar(monkeypatch, home):
    monkeypatch.setattr(autostart, "command", lambda: ["/opt/My Apps/intulse-desktop", "$HOME", "100%"])
    autostart.enable("linux")
    exec_line = next(line for line in entry(home).read_text().splitlines() if line.startswith("Exec="))
    assert exec_line == r'Exec="/opt/My Apps/intulse-desktop" "\\$HOME" 100%%'


# --- Windows -------------------------------------------------------------------------------


class FakeWinreg:
    """The part of ``winreg`` autostart uses, over a dict: {(root, path): {name: (type, value)}}."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_SET_VALUE = 0x0002
    REG_SZ = 1

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], dict[str, tuple[int, str]]] = {}

    class Handle:
        def __init__(self, values: dict[str, tuple[int, str]]) -> None:
            self.values = values

        def __enter__(self) -> FakeWinreg.Handle:
            return self

        def __exit__(self, *exc_info: object) -> None:
            pass

    def CreateKeyEx(self, root: str, path: str, reserved: int = 0, access: int = 0) -> Handle:
        return self.Handle(self.keys.setdefault((root, path), {}))

    def OpenKey(self, root: str, path: str, reserved: int = 0, access: int = 0) -> Handle:
        if (root, path) not in self.keys:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return self.Handle(self.keys[(root, path)])

    def SetValueEx(self, handle: Handle, name: str, reserved: int, kind: int, value: str) -> None:
        handle.values[name] = (kind, value)

    def QueryValueEx(self, handle: Handle, name: str) -> tuple[str, int]:
        if name not in handle.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        kind, value = handle.values[name]
        return value, kind

    def DeleteValue(self, handle: Handle, name: str) -> None:
        if name not in handle.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        del handle.values[name]


@pytest.fixture
def winreg(monkeypatch) -> FakeWinreg:
    fake = FakeWinreg()
    monkeypatch.setitem(sys.modules, "winreg", fake)
    return fake


def run_values(winreg: FakeWinreg) -> dict[str, tuple[int, str]]:
    return winreg.keys.get(("HKCU", r"Software\Microsoft\Windows\CurrentVersion\Run"), {})


def test_windows_enable_sets_the_run_value_to_the_command_line(winreg, monkeypatch):
    exe = r"C:\Program Files\Intulse Desktop\intulse-desktop.exe"
    monkeypatch.setattr(autostart, "command", lambda: [exe])
    autostart.enable("win32")
    assert run_values(winreg) == {"Intulse Desktop": (FakeWinreg.REG_SZ, f'"{exe}"')}
    assert autostart.is_enabled("win32")


def test_windows_command_line_is_quoted_for_windows(winreg, argv):
    autostart.enable("win32")
    assert run_values(winreg)["Intulse Desktop"][1] == subprocess.list2cmdline(ARGV)


def test_windows_disable_removes_only_our_value(winreg, argv):
    autostart.enable("win32")
    run_values(winreg)["OneDrive"] = (FakeWinreg.REG_SZ, "onedrive.exe")
    autostart.disable("win32")
    assert run_values(winreg) == {"OneDrive": (FakeWinreg.REG_SZ, "onedrive.exe")}
    assert not autostart.is_enabled("win32")


def test_windows_without_the_run_key_is_not_enabled_and_disable_is_fine(winreg):
    assert not autostart.is_enabled("win32")
    autostart.disable("win32")


def test_windows_writes_no_file(winreg, argv, home):
    autostart.enable("win32")
    assert not any(home.rglob("*"))


# --- macOS ---------------------------------------------------------------------------------


def agent(home: Path) -> Path:
    return home / "Library" / "LaunchAgents" / "com.intulse.desktop.plist"


def test_macos_enable_writes_a_launch_agent_that_runs_at_load(argv, home):
    autostart.enable("darwin")
    plist = plistlib.loads(agent(home).read_bytes())
    assert plist["Label"] == "com.intulse.desktop"
    assert plist["ProgramArguments"] == ARGV
    assert plist["RunAtLoad"] is True
    assert autostart.is_enabled("darwin")


def test_macos_disable_removes_the_launch_agent(argv, home):
    autostart.enable("darwin")
    autostart.disable("darwin")
    assert not agent(home).exists()
    assert not autostart.is_enabled("darwin")
