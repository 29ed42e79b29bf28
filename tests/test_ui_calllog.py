"""The call log window against a real store: pages, search, filters, dates, sorting, live rows,
seen marks and the tray, export, texts with attachments, recordings, retention."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from intulse_desktop.events import parse
from intulse_desktop.store import CALL_FIELDS
from intulse_desktop.ui.calllog import FILTERS, PAGE, RECORDING_COLUMN, day_range

from .helpers.builders import payload, png_bytes, wav_bytes
from .helpers.finders import button
from .helpers.net import deliver
from .helpers.waiting import run_until

UTC = UTC
NOW = datetime.now(UTC).replace(microsecond=0)


def call(n, ago=timedelta(0), **fields):
    """A CallCompleted body for call n, ``ago`` before now (later calls: smaller ``ago``)."""
    start = (NOW - ago).isoformat()
    return payload("CallCompleted") | {"Id": f"call-{n}", "LinkedId": f"call-{n}", "StartUtc": start} | fields


def add(desktop, *bodies, event_type="CallCompleted"):
    """Fill the log through the writer (one transaction), as the receiver would store them."""
    events = [parse(body, event_type) for body in bodies]
    loop = asyncio.get_event_loop()
    loop.run_until_complete(
        desktop.service.write(lambda store: [store.record(e, False, NOW) for e in events])
    )


def open_log(desktop):
    desktop.show_call_log()
    return desktop.windows["log"]


def ids(window):
    return [row.id for row in window.calls.rows]


def shown(window, row, column):
    return window.calls.index(row, column).data()


def run(desktop):
    """Let the writer and the window's tasks finish (seen marks, exports)."""
    asyncio.get_event_loop().run_until_complete(desktop.tasks.wait())


# --- pages ---------------------------------------------------------------------------------


def test_the_log_opens_on_the_newest_page_and_reads_more_as_it_scrolls(desktop, qtbot):
    add(desktop, *[call(n, timedelta(minutes=500 - n)) for n in range(450)])
    window = open_log(desktop)
    assert window.isVisible()
    assert ids(window) == [f"call-{n}" for n in range(449, 449 - PAGE, -1)]
    assert window.status.text() == "200+ calls — scroll for more"
    for expected in (2 * PAGE, 450):
        window.calls_view.scrollToBottom()
        qtbot.waitUntil(lambda expected=expected: len(window.calls.rows) == expected)
    assert ids(window) == [f"call-{n}" for n in range(449, -1, -1)]
    assert not window.calls.canFetchMore()
    assert window.status.text() == "450 calls"


def test_a_row_shows_time_direction_outcome_name_number_extension_duration_recording(desktop):
    add(desktop, call(1, timedelta(minutes=5)))
    window = open_log(desktop)
    local = (NOW - timedelta(minutes=5)).astimezone()
    day = "Today" if local.date() == datetime.now().astimezone().date() else "Yesterday"
    texts = [shown(window, 0, column) for column in range(8)]
    assert texts == [
        f"{day} {local:%H:%M}",
        "Inbound",
        "Answered",
        "ACME PLUMBING",
        "(317) 555-0142",
        "204",
        "3:04",
        "Play",
    ]


# --- search, filters, dates ----------------------------------------------------------------


def varied_log(desktop):
    add(
        desktop,
        call(1, timedelta(hours=5)),  # ACME, +13175550142, answered, recorded
        call(
            2,
            timedelta(hours=4),
            RemotePartyName="Bob Stone",
            RemotePartyNumber="+442079460958",
            Recording=None,
        ),
        call(
            3,
            timedelta(hours=3),
            RemotePartyName="",
            RemotePartyNumber="3175550199",
            AnswertUtc=None,
            DurationInSeconds=None,
            Recording=None,
        ),  # missed
        call(
            4,
            timedelta(hours=2),
            RemotePartyName="Dana Out",
            Direction="Outbound",
            RemotePartyNumber="+13175550123",
        ),
        call(
            5,
            timedelta(hours=1),
            RemotePartyName="Acme Parts",
            RemotePartyNumber="(463) 555-0100",
            AnswertUtc=None,
            Direction="Outbound",
            DurationInSeconds=None,
            Recording=None,
        ),  # not answered
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("(317) 555-0142", ["call-1"]),
        ("317.555.0142", ["call-1"]),
        ("+1 317 555 01", ["call-4", "call-3", "call-1"]),
        ("5550100", ["call-5"]),
        ("acme", ["call-5", "call-1"]),
        ("BOB st", ["call-2"]),
        ("20 7946", ["call-2"]),
    ],
)
def test_search_as_you_type_finds_names_and_numbers_however_they_are_written(desktop, qtbot, typed, expected):
    varied_log(desktop)
    window = open_log(desktop)
    qtbot.keyClicks(window.search, typed)
    assert ids(window) == expected
    window.search.clear()
    assert len(ids(window)) == 5


def test_number_formatting_typed_alone_does_not_empty_the_list(desktop, qtbot):
    varied_log(desktop)
    window = open_log(desktop)
    for typed in ("(", "+", " (", "-", "+ ("):
        window.search.setText(typed)
        assert len(ids(window)) == 5, typed
    qtbot.keyClicks(window.search, "463")
    assert ids(window) == ["call-5"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("All", ["call-5", "call-4", "call-3", "call-2", "call-1"]),
        ("Missed", ["call-3"]),
        ("Inbound", ["call-3", "call-2", "call-1"]),
        ("Outbound", ["call-5", "call-4"]),
        ("With recording", ["call-4", "call-1"]),
    ],
)
def test_each_filter_shows_its_calls(desktop, qtbot, name, expected):
    varied_log(desktop)
    window = open_log(desktop)
    button = window.filter_group.button(list(FILTERS).index(name))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked()
    assert ids(window) == expected


def test_filters_and_search_combine_and_say_when_nothing_matches(desktop, qtbot):
    varied_log(desktop)
    window = open_log(desktop)
    window.filter_group.button(list(FILTERS).index("Outbound")).click()
    qtbot.keyClicks(window.search, "acme")
    assert ids(window) == ["call-5"]
    qtbot.keyClicks(window.search, "zzz")
    assert ids(window) == []
    assert window.status.text().startswith("No calls match")


def test_only_my_calls(desktop):
    varied_log(desktop)
    add(desktop, call(9, timedelta(minutes=1), Extension="205", UserId=12))
    window = open_log(desktop)
    assert "call-9" in ids(window)
    window.mine_only.setChecked(True)
    assert "call-9" not in ids(window)
    assert len(ids(window)) == 5


def test_a_date_range_shows_only_its_days(desktop):
    today = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)
    add(
        desktop,
        call(1, NOW - today.astimezone(UTC)),  # today, noon
        call(2, NOW - (today - timedelta(days=1)).astimezone(UTC)),
        call(3, NOW - (today - timedelta(days=3)).astimezone(UTC)),
        call(4, NOW - (today - timedelta(days=40)).astimezone(UTC)),
    )
    window = open_log(desktop)
    expected = {
        "Any time": ["call-1", "call-2", "call-3", "call-4"],
        "Today": ["call-1"],
        "Yesterday": ["call-2"],
        "Last 7 days": ["call-1", "call-2", "call-3"],
        "Last 30 days": ["call-1", "call-2", "call-3"],
    }
    for choice, wanted in expected.items():
        window.range.setCurrentText(choice)
        assert ids(window) == wanted, choice
    window.range.setCurrentText("Custom range")
    assert window.first_day.isVisible()
    assert window.last_day.isVisible()
    window.first_day.setDate((today - timedelta(days=41)).date())
    window.last_day.setDate((today - timedelta(days=2)).date())
    assert ids(window) == ["call-3", "call-4"]


def test_day_ranges_are_local_days_end_exclusive():
    today = date(2026, 3, 10)
    since, until = day_range("Last 7 days", today, today, today)
    assert (since.date(), until.date()) == (date(2026, 3, 4), date(2026, 3, 11))
    assert since.hour == until.hour == 0
    assert since.tzinfo is not None
    assert day_range("Custom range", today, date(2026, 3, 9), date(2026, 3, 1))[0].date() == date(2026, 3, 1)
    assert day_range("Any time", today, today, today) == (None, None)


# --- sorting -------------------------------------------------------------------------------


def test_sorting_by_a_column_is_done_by_the_store_across_pages(desktop, qtbot):
    names = ["delta", "Alpha", "charlie", "Bravo"]
    add(
        desktop,
        *[
            call(n, timedelta(minutes=n), RemotePartyName=f"{names[n % 4]} {n:03d}", DurationInSeconds=n)
            for n in range(300)
        ],
    )
    window = open_log(desktop)
    header = window.calls_view.horizontalHeader()
    header.sectionClicked.emit(3)  # Name
    window.calls_view.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    window.calls_view.scrollToBottom()
    qtbot.waitUntil(lambda: len(window.calls.rows) == 300)
    shown_names = [row.remote_party_name for row in window.calls.rows]
    assert shown_names == sorted(shown_names, key=str.lower)
    window.calls_view.sortByColumn(6, Qt.SortOrder.DescendingOrder)  # Duration
    assert len(window.calls.rows) == PAGE  # a new query: the first page again
    assert [row.duration_seconds for row in window.calls.rows[:3]] == [299, 298, 297]


# --- live ----------------------------------------------------------------------------------


def test_a_new_call_arrives_on_top_without_moving_the_selection_or_the_view(desktop, qtbot):
    add(desktop, *[call(n, timedelta(minutes=500 - n)) for n in range(300)])
    window = open_log(desktop)
    window.resize(900, 500)
    view = window.calls_view
    qtbot.waitExposed(window)
    view.selectRow(60)
    view.verticalScrollBar().setValue(50)
    top_before, selected_before = window.calls.rows[view.rowAt(0)].id, window.selected_calls()
    assert top_before == "call-249"
    assert [c.id for c in selected_before] == ["call-239"]
    deliver(desktop, "CallStarted", Id="new-1", StartUtc=NOW.isoformat(), Extension="299")
    assert ids(window)[0] == "new-1"
    assert window.calls.rows[view.rowAt(0)].id == top_before
    assert [c.id for c in window.selected_calls()] == ["call-239"]
    assert window.calls.rows[view.currentIndex().row()].id == "call-239"


def test_at_the_top_a_new_call_shows_and_a_completed_one_changes_in_place(desktop):
    add(desktop, *[call(n, timedelta(minutes=10 - n)) for n in range(3)])
    window = open_log(desktop)
    window.calls_view.selectRow(1)
    deliver(desktop, "CallStarted", StartUtc=NOW.isoformat())  # id 1764130211.5512
    assert ids(window)[0] == "1764130211.5512"
    assert window.calls_view.rowAt(0) == 0
    assert shown(window, 0, 2) == "In progress"
    deliver(desktop, "CallCompleted", StartUtc=NOW.isoformat())
    assert shown(window, 0, 2) == "Answered"
    assert shown(window, 0, 6) == "3:04"
    assert len(ids(window)) == 4
    assert [c.id for c in window.selected_calls()] == ["call-1"]


def test_a_live_call_obeys_the_filter(desktop):
    window = open_log(desktop)
    window.filter_group.button(list(FILTERS).index("Missed")).click()
    deliver(desktop, "CallStarted", Id="1764130502.5601", RemotePartyNumber="3175550199")
    assert ids(window) == []  # ringing: not (yet) missed
    deliver(desktop, "CallCompleted-missed")
    assert ids(window) == ["1764130502.5601"]


def test_a_live_call_placed_in_a_sorted_view(desktop):
    add(desktop, call(1, RemotePartyName="Alpha"), call(2, RemotePartyName="Charlie"))
    window = open_log(desktop)
    window.calls_view.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    window.calls_view.selectRow(1)
    deliver(desktop, "CallStarted", RemotePartyName="Bravo")
    assert [row.remote_party_name for row in window.calls.rows] == ["Alpha", "Bravo", "Charlie"]
    assert [c.remote_party_name for c in window.selected_calls()] == ["Charlie"]


def test_a_closed_log_reads_nothing_per_delivery_and_catches_up_when_opened_again(desktop):
    add(desktop, call(1, timedelta(minutes=5)))
    window = open_log(desktop)
    window.close()
    deliver(desktop, "CallStarted", StartUtc=NOW.isoformat())
    deliver(desktop, "TextMessageReceived")
    assert ids(window) == ["call-1"]  # a window nobody sees is left as it was
    window = open_log(desktop)
    assert ids(window) == ["1764130211.5512", "call-1"]
    assert window.status.text().startswith("2 calls")


# --- seen ----------------------------------------------------------------------------------


def test_unseen_missed_calls_are_marked_and_selecting_one_marks_it_seen_for_the_tray(desktop, qtbot):
    deliver(desktop, "CallCompleted-missed")
    deliver(desktop, "CallCompleted-missed", Id="missed-2", StartUtc=NOW.isoformat())
    deliver(desktop, "CallCompleted-missed", Id="theirs", Extension="205", UserId=12)
    assert "2 missed calls" in desktop.tray.icon.toolTip()
    window = open_log(desktop)
    unseen = {row.id for row in window.calls.rows if window.calls.is_unseen(row)}
    assert unseen == {"1764130502.5601", "missed-2"}  # someone else's missed call is not mine to see
    row = ids(window).index("missed-2")
    assert window.calls.index(row, 0).data(Qt.ItemDataRole.FontRole).bold()
    assert window.calls.index(row, 0).data(Qt.ItemDataRole.DecorationRole) is not None
    assert window.status.text().endswith("· 2 new missed calls")
    window.calls_view.selectRow(row)
    run(desktop)
    assert desktop.store.unseen_missed_count(desktop.settings.matcher()) == 1
    assert "1 missed call" in desktop.tray.icon.toolTip()
    assert window.calls.index(row, 0).data(Qt.ItemDataRole.DecorationRole) is None
    assert window.status.text().endswith("· 1 new missed call")


def test_opening_a_missed_call_marks_it_seen_and_shows_the_caller(desktop):
    deliver(desktop, "CallCompleted-missed")
    window = open_log(desktop)
    window.calls_view.activated.emit(window.calls.index(0, 3))
    run(desktop)
    assert desktop.details is not None
    assert desktop.details.isVisible()
    assert desktop.details.formatted.text() == "(317) 555-0199"
    assert "missed call" not in desktop.tray.icon.toolTip()


def test_seen_marks_made_elsewhere_reach_the_log(desktop):
    deliver(desktop, "CallCompleted-missed")
    window = open_log(desktop)
    [card] = desktop.cards.cards
    card.dismiss()  # the card marks it seen
    run(desktop)
    assert not window.calls.is_unseen(window.calls.rows[0])


# --- export --------------------------------------------------------------------------------


def test_export_writes_the_view_as_csv(desktop, qtbot, tmp_path):
    varied_log(desktop)
    add(desktop, call(6, timedelta(minutes=30), RemotePartyName='=HYPERLINK("http://evil")'))
    window = open_log(desktop)
    window.filter_group.button(list(FILTERS).index("With recording")).click()
    target = tmp_path / "calls.csv"
    asyncio.get_event_loop().run_until_complete(window.export_to(target))
    with target.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(CALL_FIELDS)
    assert [r[0] for r in rows[1:]] == ["call-6", "call-4", "call-1"]  # the view's rows, in its order
    by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_id["call-6"]["remote_party_name"].startswith("'=HYPERLINK")  # no formula for a spreadsheet
    assert by_id["call-1"]["start_utc"].endswith("Z")
    assert by_id["call-1"]["duration_seconds"] == "184"
    assert window.status.text() == f"Exported 3 calls to {target}."
    assert window.export_button.isEnabled()


def test_a_cancelled_export_leaves_nothing(desktop, tmp_path):
    add(desktop, *[call(n, timedelta(minutes=n)) for n in range(50)])
    window = open_log(desktop)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "calls.csv"
    task = window.export_to(target)
    window.export_dialog.findChild(QPushButton).click()  # Cancel, before the worker writes a row
    asyncio.get_event_loop().run_until_complete(task)
    assert list(out.iterdir()) == []  # no file, no half file
    assert window.status.text() == "Export cancelled: nothing was written."


def test_the_texts_tab_exports_texts(desktop, tmp_path):
    deliver(desktop, "TextMessageReceived")
    window = open_log(desktop)
    window.tabs.setCurrentIndex(1)
    target = tmp_path / "texts.csv"
    asyncio.get_event_loop().run_until_complete(window.export_to(target))
    with target.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["id", "from", "to", "body", "created_utc", "attachments", "contact_name"]
    assert rows[1][:3] == ["90211", "+13175550142", "+13175550100"]


# --- texts, attachments, recordings --------------------------------------------------------


@pytest.fixture
def files(web_files):
    """A photo, a voice note and a recording, served on the app's loop."""
    base, _ = web_files(
        {
            "/part.png": (png_bytes(), "image/png"),
            "/note.wav": (wav_bytes(), "audio/wav"),
            "/rec.wav": (wav_bytes(), "audio/wav"),
        }
    )
    return base


def attachment(n, name, kind, url, image=False, audio=False):
    return {
        "Id": n,
        "IsImage": image,
        "IsAudio": audio,
        "MimeType": kind,
        "Name": name,
        "SizeInBytes": 2048,
        "Url": url,
    }


def test_texts_show_sender_my_number_time_and_body_and_arrive_live(desktop):
    window = open_log(desktop)
    window.tabs.setCurrentIndex(1)
    assert window.status.text() == "No texts yet"
    deliver(desktop, "TextMessageReceived", To="(317) 555-0100")
    model = window.texts
    assert [model.index(0, c).data() for c in range(1, 5)] == [
        "(317) 555-0142",
        "(317) 555-0100",
        "Running 10 minutes late, see photo of the part.",
        "1 image",
    ]
    assert window.status.text() == "1 text"


def test_a_text_shows_its_image_as_a_thumbnail_plays_its_audio_and_opens_any_attachment(
    desktop, files, qtbot
):
    deliver(desktop, "CallCompleted", Extension="999")  # the sender is known by name from a call
    deliver(
        desktop,
        "TextMessageReceived",
        Body="<b>photo</b> and a voice note",
        Attachments=[
            attachment(1, "part.png", "image/png", f"{files}/part.png", image=True),
            attachment(2, "note.wav", "audio/wav", f"{files}/note.wav", audio=True),
            attachment(3, "invoice.pdf", "application/pdf", f"{files}/invoice.pdf"),
        ],
    )
    window = open_log(desktop)
    window.tabs.setCurrentIndex(1)
    window.texts_view.selectRow(0)
    pane = window.message
    assert pane.heading.text().startswith("From ACME PLUMBING · (317) 555-0142 to (317) 555-0100 · ")
    assert pane.body.toPlainText() == "<b>photo</b> and a voice note"  # plain text, not markup
    thumbnail = pane.findChild(QLabel, "thumbnail")
    button(pane, "Show preview").click()  # not an Intulse host: a preview waits to be asked for
    run_until(
        asyncio.get_event_loop(), lambda: thumbnail.pixmap() is not None and not thumbnail.pixmap().isNull()
    )
    assert thumbnail.pixmap().width() > 0
    buttons = [b for b in pane.findChildren(QPushButton) if b.isVisibleTo(pane)]
    assert [b.text() for b in buttons] == ["Open in browser", "Play", "Open in browser", "Open in browser"]
    buttons[3].click()
    assert desktop.opened == [f"{files}/invoice.pdf"]
    buttons[1].click()
    player = desktop.windows["player"]
    assert player.isVisible()
    assert player.title.text() == "Audio from ACME PLUMBING · (317) 555-0142"
    run_until(asyncio.get_event_loop(), lambda: player.file is not None)


def test_a_recording_plays_from_the_log_and_from_caller_details(desktop, files):
    add(desktop, call(1, Recording=f"{files}/rec.wav"))
    window = open_log(desktop)
    assert shown(window, 0, RECORDING_COLUMN) == "Play"
    window.calls_view.activated.emit(window.calls.index(0, RECORDING_COLUMN))
    player = desktop.windows["player"]
    assert player.isVisible()
    assert player.title.text() == "ACME PLUMBING"
    assert player.subtitle.text().startswith("(317) 555-0142 · ")
    assert player.subtitle.text().endswith(" · 3:04")
    subtitle = player.subtitle.text()
    run_until(asyncio.get_event_loop(), lambda: player.file is not None)
    player.close()
    window.open_caller(window.calls.rows[0])
    details = desktop.details
    assert not details.play_button.isEnabled()  # nothing selected yet
    details.history.setCurrentItem(details.history.topLevelItem(0))
    assert details.play_button.isEnabled()
    details.play_button.click()
    assert player.isVisible()
    assert player.url == f"{files}/rec.wav"
    assert player.subtitle.text() == subtitle  # one subtitle, wherever it is played from


def test_texts_are_searched_and_dated_like_calls(desktop, qtbot):
    deliver(desktop, "TextMessageReceived")
    deliver(
        desktop, "TextMessageReceived", Id=2, Body="invoice attached", From="+13175550199", Attachments=[]
    )
    window = open_log(desktop)
    window.tabs.setCurrentIndex(1)
    qtbot.keyClicks(window.search, "invoice")
    assert [m.id for m in window.texts.rows] == [2]
    assert not window.filter_group.button(1).isEnabled()  # call filters do not apply to texts


# --- retention -----------------------------------------------------------------------------


def test_retention_prunes_old_calls_and_texts_in_the_background_and_the_tray_follows(desktop, me, qloop):
    add(
        desktop,
        *[call(n, timedelta(days=40 + n), AnswertUtc=None) for n in range(3)],
        call(9, timedelta(days=1)),
    )
    deliver(desktop, "TextMessageReceived", CreatedUtc=(NOW - timedelta(days=60)).isoformat())
    desktop.refresh_tray()
    assert "3 missed calls" in desktop.tray.icon.toolTip()
    desktop.save_settings(me.with_values({"retention_days": 30}))
    run_until(qloop, lambda: "missed call" not in desktop.tray.icon.toolTip(), what="the tray to follow")
    assert desktop.service.pruning  # and again tomorrow
    assert [c.id for c in desktop.store.calls()] == ["call-9"]
    assert desktop.store.messages() == []
    assert "missed call" not in desktop.tray.icon.toolTip()


def test_without_retention_nothing_is_pruned(desktop, qloop):
    add(desktop, call(1, timedelta(days=4000)))
    desktop.start()
    assert not desktop.service.pruning
    assert len(desktop.store.calls()) == 1
