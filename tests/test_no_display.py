"""The tray app on a Linux machine with no graphical session: one sentence and exit 2, not Qt's abort."""

from __future__ import annotations

import sys

import pytest

from intulse_desktop import cli
from intulse_desktop.cli.running import has_display

GRAPHICAL = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def test_the_tray_app_without_a_display_says_to_use_headless_and_exits_2(
    monkeypatch, capsys, restore_logging
):
    for name in GRAPHICAL:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert cli.main([]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "intulse-desktop: error: no graphical session: run `intulse-desktop --headless` to receive "
        "webhooks without one (or start the tray app from a desktop session)"
    ]


@pytest.mark.parametrize("name", GRAPHICAL)
def test_any_graphical_session_variable_lets_the_tray_app_start(name):
    assert has_display({name: ":0"}, "linux")


def test_linux_with_none_of_them_has_no_display():
    assert not has_display({"DISPLAY": ""}, "linux")


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_windows_and_macos_always_have_a_display(platform):
    assert has_display({}, platform)
