"""A text's attachments in the call log: previews by themselves only from Intulse, a few per text,
the rest when asked; a failure's tooltip is plain text whatever the link says."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel

from intulse_desktop.ui.calllog import message_pane
from intulse_desktop.ui.calllog.message_pane import AUTO_PREVIEWS

from .helpers.builders import png_bytes
from .helpers.finders import buttons
from .helpers.net import deliver
from .helpers.waiting import run_until


def image(n: int, url: str) -> dict:
    return {
        "Id": n,
        "IsImage": True,
        "IsAudio": False,
        "MimeType": "image/png",
        "Name": f"photo-{n}.png",
        "SizeInBytes": 2048,
        "Url": url,
    }


def open_text(desktop):
    desktop.show_call_log()
    window = desktop.windows["log"]
    window.tabs.setCurrentIndex(1)
    window.texts_view.selectRow(0)
    return window.message


def previews(pane) -> list[QLabel]:
    return pane.findChildren(QLabel, "thumbnail")


def loaded(label: QLabel) -> bool:
    return label.pixmap() is not None and not label.pixmap().isNull()


@pytest.fixture
def photos(web_files):
    count = AUTO_PREVIEWS + 2
    return web_files({f"/{n}.png": (png_bytes(), "image/png") for n in range(count)})


def test_previews_from_intulse_load_by_themselves_a_few_per_text_and_the_rest_when_asked(
    desktop, photos, monkeypatch
):
    base, seen = photos
    monkeypatch.setattr(message_pane, "is_intulse_media", lambda url: url.startswith(base))  # plays Intulse
    deliver(desktop, "TextMessageReceived", Attachments=[image(n, f"{base}/{n}.png") for n in range(6)])
    pane = open_text(desktop)
    labels = previews(pane)
    loop = asyncio.get_event_loop()
    run_until(loop, lambda: sum(map(loaded, labels)) == AUTO_PREVIEWS)
    assert sorted(seen) == [f"/{n}.png" for n in range(AUTO_PREVIEWS)]
    asks = [b for b in buttons(pane, "Show preview") if b.isVisibleTo(pane)]
    assert len(asks) == 6 - AUTO_PREVIEWS
    asks[0].click()
    run_until(loop, lambda: sum(map(loaded, labels)) == AUTO_PREVIEWS + 1)
    assert not asks[0].isVisibleTo(pane)


def test_a_preview_from_another_host_is_fetched_only_when_asked(desktop, photos):
    base, seen = photos
    deliver(desktop, "TextMessageReceived", Attachments=[image(0, f"{base}/0.png")])
    pane = open_text(desktop)
    [label] = previews(pane)
    assert label.text() == ""
    [ask] = buttons(pane, "Show preview")
    ask.click()
    run_until(asyncio.get_event_loop(), lambda: loaded(label))
    assert seen == ["/0.png"]


def test_a_failed_previews_tooltip_shows_the_links_text_as_it_is_not_as_markup(desktop):
    deliver(
        desktop,
        "TextMessageReceived",
        Attachments=[image(0, "http://<font size=7>BIG</font>.example/x.png")],
    )
    pane = open_text(desktop)
    [label] = previews(pane)
    [ask] = buttons(pane, "Show preview")
    ask.click()
    run_until(asyncio.get_event_loop(), lambda: label.text() == "No preview")
    rendered = QTextDocument()
    rendered.setHtml(label.toolTip())  # what Qt shows: it takes a tooltip that looks like HTML as HTML
    assert "<font size=7>big<" in rendered.toPlainText()
