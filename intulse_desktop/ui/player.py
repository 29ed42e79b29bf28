"""The recording player: fetch into the cache (with progress), then play, seek, set the volume.

Whatever goes wrong (the fetch, a format this computer cannot play, no audio
backend or no sound device) is said in the window itself, and Open in browser
and Save as… stay at hand as the way out.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop.caller_names import call_name
from intulse_desktop.formatting import format_duration, without_bidi_controls
from intulse_desktop.matching import format_number
from intulse_desktop.recordings import MAX_FILE_BYTES, Fetcher, FetchError, MediaCache, save_name
from intulse_desktop.secrets import SecretStore
from intulse_desktop.store import CallRow
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.palette import state_color
from intulse_desktop.ui.widgets import plain_label

WAY_OUT = "Use Open in browser or Save as… to play it elsewhere."


def recording_fetcher(secrets: SecretStore, cache: Path) -> Fetcher:
    """A fetcher into the app's media ``cache`` (recordings and texts' attachments) that may use
    the API key (which the ``SecretStore`` keeps out of the logs)."""
    return Fetcher(MediaCache(cache), secrets.api_key, max_bytes=MAX_FILE_BYTES)


def caller_title(call: CallRow, region: str) -> str:
    """Who a recording is with, for the player's title: the contact's name, caller ID or number."""
    return call_name(call).name or format_number(call.remote_party_number, region) or "Unknown caller"


def _settle_disconnect_notify(*signals: Any) -> None:
    """Have PySide settle, here in the GUI thread, that these objects do not override
    ``disconnectNotify``.

    QtMultimedia's playback threads end connections to the player and its audio output while
    holding a Qt lock; the first time, PySide takes the GIL to look for a Python override. If
    the GUI thread holds the GIL and waits for that lock (``stop()`` does), both wait forever:
    seen as a hang in about one test run in thirty. Once looked up, the answer is cached per
    object and the playback threads never need the GIL for it.
    """
    for signal in signals:
        signal.connect(_nothing)
        signal.disconnect(_nothing)


def _nothing(*args: Any) -> None:
    """A slot to connect and disconnect (see ``_settle_disconnect_notify``)."""


def _ms(value: int) -> str:
    return format_duration(max(0, value) // 1000)


class PlayerWindow(QWidget):
    def __init__(self, fetcher: Fetcher, tasks: Tasks, open_url: Callable[[str], object]) -> None:
        super().__init__(None)
        self.setWindowTitle("Recording")
        self.resize(460, 210)
        self._fetcher = fetcher
        self._tasks = tasks
        self._open_url = open_url
        self.url = ""
        self.file: Path | None = None
        self._loading: asyncio.Task[None] | None = None

        self.title = plain_label("", "title")
        self.title.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.subtitle = plain_label("", "subtitle")
        self.fetching = QProgressBar()
        self.fetching.setTextVisible(True)
        self.message = plain_label("", "message")
        self.message.setStyleSheet(f"color: {state_color('error')};")

        self.play_button = QPushButton()
        self.play_button.setToolTip("Play or pause (Space)")
        self.play_button.clicked.connect(self.toggle)
        self.seek = QSlider(Qt.Orientation.Horizontal)
        self.seek.setToolTip("Position")
        self.seek.sliderMoved.connect(self._seek_to)
        self.time = QLabel("0:00 / 0:00")
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(100)
        self.volume.setFixedWidth(90)
        self.volume.setToolTip("Volume")
        volume_icon = QLabel()
        volume_icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaVolume).pixmap(16, 16))
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.seek, 1)
        controls.addWidget(self.time)
        controls.addSpacing(8)
        controls.addWidget(volume_icon)
        controls.addWidget(self.volume)

        self.browser_button = QPushButton("Open in browser")
        self.browser_button.clicked.connect(lambda: self._open_url(self.url))
        self.save_button = QPushButton("Save as…")
        self.save_button.clicked.connect(self.ask_save)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.browser_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.fetching)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(buttons)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.toggle)

        self.audio = QAudioOutput(self)  # attached in _load, where there is a device to hear it on
        self.player = QMediaPlayer(self)
        _settle_disconnect_notify(self.audio.volumeChanged, self.player.sourceChanged)
        self.volume.valueChanged.connect(lambda v: self.audio.setVolume(v / 100))
        self.player.durationChanged.connect(self._duration)
        self.player.positionChanged.connect(self._position)
        self.player.playbackStateChanged.connect(self._state)
        self.player.mediaStatusChanged.connect(self._status)
        self.player.errorOccurred.connect(self._error)
        self._state(QMediaPlayer.PlaybackState.StoppedState)

    # --- loading -------------------------------------------------------------------------

    def play(self, url: str, title: str, subtitle: str = "") -> None:
        """Show this window for ``url``: fetch it (or take it from the cache), then play."""
        self._stop_loading()
        self.player.stop()
        self.player.setSource(QUrl())
        self.url, self.file = url, None
        self.setWindowTitle(f"Recording — {without_bidi_controls(title)}")
        self.title.setText(title)
        self.subtitle.setText(subtitle)
        self.message.clear()
        self._set_controls(False)
        self.save_button.setEnabled(False)
        self.fetching.setRange(0, 0)  # busy until the size is known
        self.fetching.setFormat("Fetching the recording…")
        self.fetching.show()
        self._duration(0)
        self.show()
        self.raise_()
        self.activateWindow()
        self._loading = self._tasks.spawn(self._load(url), "fetch a recording")

    async def _load(self, url: str) -> None:
        try:
            path = await self._fetcher.fetch(url, self._progress)
        except FetchError as exc:
            self.fetching.hide()
            self.message.setText(str(exc))
            return
        if url != self.url:
            return
        self.file = path
        self.fetching.hide()
        self.save_button.setEnabled(True)
        if not self.player.isAvailable():
            self.message.setText(
                f"This computer has no audio playback for the app (no Qt multimedia backend). {WAY_OUT}"
            )
            return
        if QMediaDevices.audioOutputs():
            if self.player.audioOutput() is None:
                self.player.setAudioOutput(self.audio)
        else:  # it plays all the same (position, seeking); without an output QtMultimedia has no
            # audio thread to complain from, which could hang a GUI thread that logs Qt messages
            self.message.setText(
                "No speakers or headset were found: the recording plays, but you will not hear it."
            )
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        self.player.play()

    def _progress(self, done: int, total: int | None) -> None:
        if total:
            self.fetching.setRange(0, total)
            self.fetching.setValue(min(done, total))
            self.fetching.setFormat(f"Fetching the recording… {done * 100 // total}%")
        else:
            self.fetching.setFormat(f"Fetching the recording… {done // 1024} KB")

    def _stop_loading(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        self._loading = None

    # --- playing -------------------------------------------------------------------------

    def toggle(self) -> None:
        if not self.play_button.isEnabled():
            return
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        else:
            self.player.play()

    def _seek_to(self, position: int) -> None:
        self.player.setPosition(position)

    def _duration(self, duration: int) -> None:
        self.seek.setRange(0, max(0, duration))
        self._show_time(self.player.position(), duration)

    def _position(self, position: int) -> None:
        if not self.seek.isSliderDown():
            self.seek.setValue(position)
        self._show_time(position, self.player.duration())

    def _show_time(self, position: int, duration: int) -> None:
        self.time.setText(f"{_ms(position)} / {_ms(duration)}")

    def _state(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if playing else "Play")

    def _status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status in (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia):
            self._set_controls(True)
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._cannot_play("")

    def _error(self, error: QMediaPlayer.Error, detail: str) -> None:
        if error != QMediaPlayer.Error.NoError:
            self._cannot_play(detail)

    def _cannot_play(self, detail: str) -> None:
        self._set_controls(False)
        reason = f" ({detail.strip()})" if detail.strip() else ""
        self.message.setText(f"This recording's format cannot be played on this computer{reason}. {WAY_OUT}")

    def _set_controls(self, enabled: bool) -> None:
        for widget in (self.play_button, self.seek):
            widget.setEnabled(enabled)

    # --- saving --------------------------------------------------------------------------

    def suggested_name(self) -> str:
        return save_name(self.url, self.file)

    def ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the recording", str(Path.home() / self.suggested_name())
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        if self.file is None:
            return False
        try:
            shutil.copyfile(self.file, path)
        except OSError as exc:
            self.message.setText(f"Cannot save the recording to {path}: {exc.strerror}.")
            return False
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop_loading()
        self.player.stop()
        super().closeEvent(event)
