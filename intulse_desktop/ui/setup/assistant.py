"""The first-run assistant (tray → Set up…): four pages, each one skippable, each value also in
Settings. It opens by itself on the first start, until it is finished or closed once
(``setup_done``). Non-modal, like every window of the app: it is shown, never ``exec()``-ed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtWidgets import QWizard

from intulse_desktop.settings import Settings
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.setup.account import AccountStep
from intulse_desktop.ui.setup.reach import ReachStep
from intulse_desktop.ui.setup.step import Step, Wiring
from intulse_desktop.ui.setup.try_it import TryStep
from intulse_desktop.ui.setup.you import YouStep

__all__ = ["SetupAssistant", "Wiring", "wanted_at_start"]

SKIP = QWizard.WizardButton.CustomButton1


def wanted_at_start(settings: Settings) -> bool:
    """Open by itself: nothing set up yet (no extension), and never finished or closed before."""
    return not settings.extension and not settings.setup_done


class SetupAssistant(QWizard):
    def __init__(self, wiring: Wiring, tasks: Tasks) -> None:
        super().__init__(None)
        self.wiring = wiring
        self.tasks = tasks
        self.task: asyncio.Task[Any] | None = None
        self.setWindowTitle("Set up Intulse Desktop")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setModal(False)
        self.resize(880, 680)
        self.you = YouStep(wiring, self.run)
        self.reach = ReachStep(wiring, self.run)
        self.account = AccountStep(wiring, self.run)
        self.try_it = TryStep(wiring, self.run)
        self.steps: list[Step] = [self.you, self.reach, self.account, self.try_it]
        for step in self.steps:
            self.addPage(step)
        self.setOption(QWizard.WizardOption.HaveCustomButton1)
        self.setButtonText(SKIP, "Skip")
        self.button(SKIP).setToolTip("Go on without saving this page (Settings can do it later)")
        self.customButtonClicked.connect(self._custom)
        self.currentIdChanged.connect(self._page_changed)
        self.finished.connect(self._done)

    def _custom(self, which: int) -> None:
        step = self.currentPage()
        if which == SKIP.value and isinstance(step, Step):
            step.skipping = True
            self.next()

    def _page_changed(self, page_id: int) -> None:
        self.button(SKIP).setVisible(page_id != self.pageIds()[-1])

    def _done(self) -> None:
        """Finished or closed: it opens by itself no more."""
        saved = self.wiring.saved()
        if not saved.setup_done:
            self.wiring.save_settings(saved.with_values({"setup_done": True}))

    def run(self, job: Coroutine[Any, Any, None], what: str) -> None:
        """One thing at a time, as a task on the app's loop; Next and the actions wait for it."""
        if self.task is not None and not self.task.done():
            job.close()
            return
        self.task = self.tasks.spawn(job, what)
        self.task.add_done_callback(lambda _: self._set_busy(False))
        self._set_busy(True)

    def _set_busy(self, busy: bool) -> None:
        for step in self.steps:
            step.set_busy(busy)
