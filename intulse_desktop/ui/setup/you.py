"""Set-up, page 1: who you are. Settings' own Me tab, checked and saved as Settings does."""

from __future__ import annotations

from intulse_desktop.ui.settings.me import MePage
from intulse_desktop.ui.setup.step import Run, Step, Wiring


class YouStep(Step):
    def __init__(self, wiring: Wiring, run: Run) -> None:
        self.me = MePage(lambda: wiring.saved().default_region)
        super().__init__(
            "You",
            "Your extension and numbers, so that your calls and texts pop up, and nobody else's. "
            "Settings → Me holds the same.",
            wiring,
            run,
            [self.me],
        )
        self.add(self.me, 1)
        self.add(self.status)
