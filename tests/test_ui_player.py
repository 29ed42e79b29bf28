"""The recording player against a local server: it plays (or says why not), fails clearly, saves."""

from __future__ import annotations

import pytest
from PySide6.QtMultimedia import QMediaDevices, QMediaPlayer

from .helpers.builders import wav_bytes
from .helpers.waiting import run_until

WAV = wav_bytes(seconds=2.0)


@pytest.fixture
def media(web_files):
    """/call.wav, /notaudio.wav (noise), anything else 404; and the paths asked for."""
    noise = b"<html>this is a login page, not audio</html>" * 50
    base, seen = web_files({"/call.wav": (WAV, "audio/wav"), "/notaudio.wav": (noise, "audio/wav")})
    return lambda path: f"{base}/{path}", seen


def test_a_recording_plays_or_the_player_says_why_it_cannot(desktop, media, qloop, qtbot, record_property):
    url, _ = media
    player = desktop.show_recording(url("call.wav"), "ACME PLUMBING", "(317) 555-0142 · today 10:04")
    assert player.isVisible()
    assert player.windowTitle() == "Recording — ACME PLUMBING"
    run_until(qloop, lambda: player.file is not None or player.message.text())
    assert player.file is not None
    assert player.file.read_bytes() == WAV
    assert player.fetching.isHidden()
    if not player.player.isAvailable():
        outcome = "no audio backend: the player says so"
        assert "no Qt multimedia backend" in player.message.text()
        assert not player.play_button.isEnabled()
    else:
        qtbot.waitUntil(lambda: player.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState)
        qtbot.waitUntil(lambda: player.player.position() > 0)
        assert player.play_button.isEnabled()
        assert player.play_button.text() == "Pause"
        assert player.time.text().endswith("/ 0:02")
        outcome = "playing"
        if not QMediaDevices.audioOutputs():
            outcome = "playing, without a sound device (the player says so)"
            assert "No speakers or headset were found" in player.message.text()
    record_property("player_outcome", outcome)
    print(f"player on this machine: {outcome}")


def test_pause_seek_and_volume_drive_the_player(desktop, media, qloop, qtbot):
    url, _ = media
    player = desktop.show_recording(url("call.wav"), "ACME PLUMBING")
    run_until(qloop, lambda: player.file is not None)
    if not player.player.isAvailable():
        pytest.fail("no Qt multimedia backend on this machine: the controls cannot be exercised")
    qtbot.waitUntil(lambda: player.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState)
    player.play_button.click()
    qtbot.waitUntil(lambda: player.player.playbackState() == QMediaPlayer.PlaybackState.PausedState)
    assert player.play_button.text() == "Play"
    player.seek.sliderMoved.emit(1500)
    qtbot.waitUntil(lambda: player.player.position() >= 1500)
    player.volume.setValue(30)
    assert player.audio.volume() == pytest.approx(0.3)


def test_a_missing_recording_is_said_in_the_player_and_the_browser_remains(desktop, media, qloop):
    url, _ = media
    player = desktop.show_recording(url("gone.wav"), "ACME PLUMBING")
    run_until(qloop, lambda: bool(player.message.text()))
    assert player.message.text() == "The recording is no longer at 127.0.0.1 (HTTP 404)."
    assert player.fetching.isHidden()
    assert not player.play_button.isEnabled()
    assert not player.save_button.isEnabled()
    player.browser_button.click()
    assert desktop.opened == [url("gone.wav")]


@pytest.mark.qt_log_ignore("Could not open media. FFmpeg error description")  # what this test feeds it
def test_a_file_that_is_not_audio_is_said_to_be_unplayable(desktop, media, qloop, qtbot):
    url, _ = media
    player = desktop.show_recording(url("notaudio.wav"), "ACME PLUMBING")
    run_until(qloop, lambda: player.file is not None or bool(player.message.text()))
    qtbot.waitUntil(lambda: "format cannot be played on this computer" in player.message.text())
    assert "Use Open in browser or Save as…" in player.message.text()
    assert not player.play_button.isEnabled()
    assert player.save_button.isEnabled()  # the file is here: another program may play it


def test_save_as_copies_the_fetched_recording(desktop, media, qloop, tmp_path):
    url, seen = media
    player = desktop.show_recording(url("call.wav"), "ACME PLUMBING")
    run_until(qloop, lambda: player.file is not None)
    assert player.suggested_name() == "call.wav"
    assert player.save_to(tmp_path / "kept.wav")
    assert (tmp_path / "kept.wav").read_bytes() == WAV
    assert not player.save_to(tmp_path / "no" / "such" / "folder.wav")
    assert player.message.text().startswith(
        f"Cannot save the recording to {tmp_path / 'no' / 'such' / 'folder.wav'}"
    )
    desktop.show_recording(url("call.wav"), "ACME PLUMBING")  # again: from the cache
    run_until(qloop, lambda: player.file is not None)
    assert seen == ["/call.wav"]


def test_a_new_recording_replaces_the_one_being_fetched(desktop, media, qloop):
    url, _ = media
    first = desktop.show_recording(url("gone.wav"), "First")
    second = desktop.show_recording(url("call.wav"), "Second")
    assert first is second
    assert second.title.text() == "Second"
    run_until(qloop, lambda: second.file is not None)
    assert second.message.text() in (
        "",
        "No speakers or headset were found: the recording plays, but you will not hear it.",
    )


def test_save_as_offers_a_safe_audio_name_whatever_the_link_says(desktop, media, qloop):
    url, _ = media
    player = desktop.show_recording(url("sub%5C..%5C..%2Fstartup.exe"), "ACME PLUMBING")
    run_until(qloop, lambda: bool(player.message.text()))  # nothing there: the name comes from the link
    assert player.suggested_name() == "startup.mp3"
