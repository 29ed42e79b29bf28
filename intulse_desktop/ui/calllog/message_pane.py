"""One text in full, under the Texts tab: the body, image thumbnails, audio to play, links to open.

An attachment's link is anyone's to write, so previews load by themselves only
from Intulse's own hosts (``fetch_rules.is_intulse_media``), at most
``AUTO_PREVIEWS`` for one text; any other waits for **Show preview**. Every
fetch goes through the app's one ``Fetcher``: a few at a time, public addresses
only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from intulse_desktop.fetch_rules import is_intulse_media
from intulse_desktop.formatting import human_time, without_bidi_controls
from intulse_desktop.matching import format_number
from intulse_desktop.recordings import Fetcher, FetchError
from intulse_desktop.store import MessageRow
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.widgets import clear_layout, plain_label, plain_tooltip

THUMBNAIL = 120
MAX_IMAGE_BYTES = 20 * 2**20
AUTO_PREVIEWS = 4  # previews one text loads without being asked (from Intulse's hosts only)
PlayAudio = Callable[[str, str, str], object]  # url, title, subtitle


class MessagePane(QWidget):
    """One text in full: the body (selectable), image thumbnails, audio to play, links to open."""

    def __init__(
        self,
        images: Fetcher,
        tasks: Tasks,
        region: Callable[[], str],
        text_sender: Callable[[str], tuple[str, str]],
        play_audio: PlayAudio,
        open_url: Callable[[str], object],
    ) -> None:
        """``images`` fetches attachments (at most ``MAX_IMAGE_BYTES`` each); ``text_sender`` says
        who a number is (``Desktop.text_sender``)."""
        super().__init__()
        self._images = images
        self._tasks = tasks
        self._region = region
        self._text_sender = text_sender
        self._play_audio = play_audio
        self._open_url = open_url
        self._loading: list[asyncio.Task[None]] = []
        self.heading = plain_label("Select a text to read it here.", "heading")
        self.body = QPlainTextEdit()
        self.body.setReadOnly(True)
        self.attachments = QVBoxLayout()
        self.attachments.setContentsMargins(0, 0, 0, 0)
        holder = QWidget()
        holder.setLayout(self.attachments)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(380)
        scroll.setWidget(holder)
        row = QHBoxLayout()
        row.addWidget(self.body, 3)
        row.addWidget(scroll, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(row, 1)
        self.setMinimumHeight(THUMBNAIL + 60)

    def show_message(self, message: MessageRow | None) -> None:
        for task in self._loading:
            task.cancel()
        self._loading.clear()
        clear_layout(self.attachments)
        if message is None:
            self.heading.setText("Select a text to read it here.")
            self.body.clear()
            return
        region = self._region()
        _, sender = self._text_sender(message.from_)
        self.heading.setText(
            f"From {sender} to {format_number(message.to, region)} · {human_time(message.created_utc)}"
        )
        self.body.setPlainText(without_bidi_controls(message.body))
        automatic = AUTO_PREVIEWS
        for attachment in message.attachments:
            by_itself = attachment.is_image and automatic > 0 and is_intulse_media(attachment.url)
            automatic -= by_itself
            self.attachments.addWidget(self._attachment_row(attachment, sender, by_itself))
        self.attachments.addStretch(1)

    def _attachment_row(self, attachment: Any, sender: str, preview: bool) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 6)
        size = f" · {attachment.size_in_bytes // 1024} KB" if attachment.size_in_bytes else ""
        label = plain_label(
            f"{attachment.name or 'Attachment'}\n{attachment.mime_type or 'unknown type'}{size}"
        )
        if attachment.is_image:
            thumbnail = QLabel("Loading preview…" if preview else "")
            thumbnail.setObjectName("thumbnail")
            thumbnail.setFixedSize(THUMBNAIL, THUMBNAIL)
            thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
            thumbnail.setFrameShape(QFrame.Shape.StyledPanel)
            layout.addWidget(thumbnail)
            if preview:
                self._preview(thumbnail, attachment.url)
            else:
                ask = QPushButton("Show preview", thumbnail)
                ask.setToolTip(plain_tooltip(f"Fetch the image from {_host(attachment.url)}"))
                ask.move(10, THUMBNAIL // 2 - 15)
                ask.clicked.connect(lambda: self._preview(thumbnail, attachment.url, ask))
        buttons = QHBoxLayout()
        if attachment.is_audio:
            play = QPushButton("Play")
            play.clicked.connect(
                lambda: self._play_audio(attachment.url, f"Audio from {sender}", attachment.name)
            )
            buttons.addWidget(play)
        browser = QPushButton("Open in browser")
        browser.clicked.connect(lambda: self._open_url(attachment.url))
        buttons.addWidget(browser)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.addWidget(label)
        side.addLayout(buttons)
        side.addStretch(1)
        layout.addLayout(side, 1)
        return row

    def _preview(self, label: QLabel, url: str, asked: QPushButton | None = None) -> None:
        if asked is not None:
            asked.hide()
        label.setText("Loading preview…")
        self._loading.append(self._tasks.spawn(self._thumbnail(label, url), "fetch a thumbnail"))

    async def _thumbnail(self, label: QLabel, url: str) -> None:
        try:
            path = await self._images.fetch(url, max_bytes=MAX_IMAGE_BYTES)
        except FetchError as exc:
            label.setText("No preview")
            label.setToolTip(plain_tooltip(str(exc)))  # it names the link's host, which anyone writes
            return
        image = QImage(str(path))
        if image.isNull():
            label.setText("No preview")
            return
        label.setPixmap(
            QPixmap.fromImage(
                image.scaled(
                    QSize(THUMBNAIL - 4, THUMBNAIL - 4),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        )


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "the link"
    except ValueError:  # e.g. a malformed IPv6 address
        return "the link"
