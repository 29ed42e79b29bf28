"""Set-up, page 4: try it. The delivery test through the public URL (Settings' own Test delivery
box), then a sample call handed to the app as if Intulse had sent it, so its card pops up."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from intulse_desktop.bus import Delivery
from intulse_desktop.events import parse
from intulse_desktop.samples import TEST_CALLER, sample
from intulse_desktop.ui.settings.deliveries import DeliveryTestBox
from intulse_desktop.ui.settings.form import Section, note, outcome
from intulse_desktop.ui.setup.step import Run, Step, Wiring

SAMPLE_TYPE = "CallStarted"
FROM_HUB = (
    "This computer receives from an office hub: the hub's administrator tests deliveries to the hub. "
    "The sample call below shows what your calls look like."
)


class SampleBox(Section):
    """A sample call for my extension, through the GUI as a real delivery (but not stored)."""

    def __init__(self, wiring: Wiring) -> None:
        super().__init__("A sample call")
        self._wiring = wiring
        self.show_sample = QPushButton("Show a sample call")
        self.show_sample.clicked.connect(self.pop_sample)
        self.sample_result = outcome()
        self.content.addWidget(
            note(
                f"A call from “{TEST_CALLER}” to your extension pops up as a real one would: with its "
                "sound, in the corner Settings → Notifications chose. It is not kept in the call log."
            )
        )
        self.content.addWidget(self.show_sample, 0, Qt.AlignmentFlag.AlignLeft)
        self.content.addWidget(self.sample_result)

    def pop_sample(self) -> None:
        settings = self._wiring.saved()
        event = parse(sample(SAMPLE_TYPE, settings.extension), SAMPLE_TYPE)
        mine = settings.matcher().is_mine(event)
        decision = self._wiring.show_sample(Delivery(event, True, mine, datetime.now(UTC)))
        self.sample_result.setText(
            "✓ There it is, in the corner of the screen: this is how a call for you looks."
            if decision.pops
            else f"Nothing popped: {decision.reason}."
        )


class TryStep(Step):
    def __init__(self, wiring: Wiring, run: Run) -> None:
        self.tester = DeliveryTestBox(wiring.service, wiring.reached, self.save_pending, run, lambda: None)
        self.sample = SampleBox(wiring)
        super().__init__(
            "Try it",
            "Prove that a post to your address gets here, and see what a call looks like.",
            wiring,
            run,
            [self.tester, self.sample],
        )
        self.from_hub = note(FROM_HUB)
        for widget in (self.from_hub, self.tester, self.sample, self.status):
            self.add(widget)
        self.body.addStretch(1)

    def initializePage(self) -> None:
        super().initializePage()
        hub = self.wiring.saved().receive_from == "hub"
        self.from_hub.setVisible(hub)
        self.tester.setVisible(not hub)

    def set_busy(self, busy: bool) -> None:
        super().set_busy(busy)
        self.tester.set_busy(busy, valid=True)
