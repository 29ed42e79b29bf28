"""A CSV export of what a tab shows: in a worker thread, with a progress dialog (shown only if
it takes a while) whose Cancel leaves no file behind; the outcome is said in a status line."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QProgressDialog, QPushButton, QWidget

from intulse_desktop.view_export import ExportCancelled

Progress = Callable[[int, int | None], None]  # done, total (None: not known yet)
Work = Callable[[Progress, threading.Event], int]  # writes the file; returns how many rows


def export_job(
    parent: QWidget, work: Work, noun: str, target: Path, button: QPushButton, status: QLabel
) -> tuple[QProgressDialog, Coroutine[Any, Any, None]]:
    """The progress dialog, and the job to run on the app's loop: ``button`` is disabled while
    it runs, ``status`` says how it ended."""
    cancel = threading.Event()
    dialog = QProgressDialog(f"Exporting {noun} to {target.name}…", "Cancel", 0, 0, parent)
    dialog.setWindowTitle("Export")
    dialog.setMinimumDuration(400)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.canceled.connect(cancel.set)

    async def run() -> None:
        loop = asyncio.get_running_loop()

        def show(done: int, total: int | None) -> None:
            if not dialog.wasCanceled():
                dialog.setMaximum(total or 0)
                dialog.setValue(done if total else 0)

        def progress(done: int, total: int | None) -> None:  # in the worker thread
            loop.call_soon_threadsafe(show, done, total)

        button.setEnabled(False)
        try:
            written = await asyncio.to_thread(work, progress, cancel)
        except ExportCancelled:
            status.setText("Export cancelled: nothing was written.")
        except OSError as exc:
            status.setText(f"Cannot export to {target}: {exc.strerror or exc}.")
        else:
            status.setText(f"Exported {written:,} {noun} to {target}.")
        finally:
            dialog.close()
            button.setEnabled(True)

    return dialog, run()
