"""The shipped icons and sounds: one for every state and event, well-formed, and in the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
import zipfile
from array import array
from pathlib import Path
from xml.etree import ElementTree

import pytest

from intulse_desktop import resources
from intulse_desktop.events import PhoneState

REPO = Path(__file__).resolve().parent.parent
RESOURCES = REPO / "resources"  # installed as intulse_desktop/resources (pyproject: package-dir)
SVG_ROOT = "{http://www.w3.org/2000/svg}svg"
TRAY_STATES = [*PhoneState, resources.RECEIVER_PROBLEM]


@pytest.mark.parametrize("state", TRAY_STATES)
def test_every_phone_state_and_the_receiver_problem_have_a_tray_icon(state: str) -> None:
    root = ElementTree.fromstring(resources.tray_icon_svg(state))
    assert root.tag == SVG_ROOT
    assert root.get("viewBox") == "0 0 32 32"  # BADGE is given in these units


@pytest.mark.parametrize("state", TRAY_STATES)
def test_tray_icon_path_is_a_file_with_the_same_svg(state: str) -> None:
    assert resources.tray_icon_path(state).read_bytes() == resources.tray_icon_svg(state)


def test_states_with_their_own_icon_look_different() -> None:
    names = set(resources.TRAY_ICONS.values())
    assert len({resources.tray_icon_svg(name) for name in names}) == len(names) == 6


def test_a_state_without_an_icon_is_an_error() -> None:
    with pytest.raises(ValueError, match="no tray icon"):
        resources.tray_icon_svg("dancing")


def test_badge_is_in_the_top_right_corner_inside_the_icon() -> None:
    x, y, width, height = resources.BADGE
    assert y == 0
    assert x + width == 1
    assert width == height
    assert 0.25 <= width <= 0.5


def test_app_icon_is_a_square_svg() -> None:
    root = ElementTree.parse(resources.app_icon_path()).getroot()
    assert root.tag == SVG_ROOT
    assert root.get("width") == root.get("height")


@pytest.mark.parametrize("kind", resources.SOUNDS)
def test_sounds_are_short_mono_16_bit_pcm_wavs(kind: str) -> None:
    with wave.open(str(resources.sound_path(kind))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getcomptype()) == (1, 2, "NONE")
        seconds = wav.getnframes() / wav.getframerate()
        samples = array("h", wav.readframes(wav.getnframes()))
    assert 0.1 < seconds < 1.0
    peak = max(map(abs, samples)) / 32768
    assert 0.1 < peak < 0.9  # audible, not clipped
    assert abs(samples[0]) < 300
    assert abs(samples[-1]) < 300


def test_an_unknown_sound_is_an_error() -> None:
    with pytest.raises(ValueError, match="no sound"):
        resources.sound_path("fanfare")


@pytest.mark.slow
def test_the_wheel_contains_every_resource_file(tmp_path: Path) -> None:
    # Build from a clean copy: a stale *.egg-info/SOURCES.txt in the work tree
    # would otherwise put the files in even if package-data forgot them.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("intulse_desktop", "resources"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    for path in REPO.iterdir():
        if path.is_file():
            shutil.copy(path, source)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("intulse_desktop-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"intulse_desktop/resources/{path.relative_to(RESOURCES).as_posix()}"
        for path in RESOURCES.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert len(expected) >= 12
    assert expected <= shipped, sorted(expected - shipped)
