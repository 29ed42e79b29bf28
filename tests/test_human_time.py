"""Times in the call log as people say them."""

from __future__ import annotations

from datetime import datetime, timedelta

from intulse_desktop.formatting import human_time

NOW = datetime(2026, 11, 26, 15, 30).astimezone()  # a Thursday, local time


def test_today_and_yesterday_by_name():
    assert human_time(NOW.replace(hour=9, minute=5), NOW) == "Today 09:05"
    assert human_time(NOW - timedelta(days=1), NOW) == "Yesterday 15:30"


def test_this_week_by_weekday_then_by_date():
    assert human_time(NOW - timedelta(days=3), NOW) == f"{(NOW - timedelta(days=3)):%a} 15:30"
    assert human_time(NOW - timedelta(days=7), NOW) == "2026-11-19 15:30"


def test_no_time_is_blank():
    assert human_time(None) == ""
