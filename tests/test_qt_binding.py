"""The Qt binding itself: a tray app calls into it all day, so its reference counting must hold."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_calls_that_return_nothing_do_not_drop_references_to_none(qtbot):
    # PySide6 6.12.0 on Python 3.11 loses one reference to None per such call, and the app
    # dies with "deallocating None" after some hours of pop-ups (pyproject excludes it).
    label = QLabel()
    qtbot.addWidget(label)
    label.setText("warm up")
    before = sys.getrefcount(None)
    for _ in range(1000):
        label.setText("x")
    assert sys.getrefcount(None) - before > -100
