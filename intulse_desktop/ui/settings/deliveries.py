"""Connection tab, proof that events get through: a test delivery, and what the receiver got
lately and whether it popped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QPushButton, QTreeWidgetItem

from intulse_desktop.bus import Delivery, TestNotice
from intulse_desktop.delivery_check import TIMEOUT as TEST_TIMEOUT
from intulse_desktop.delivery_check import DeliveryResult, check_delivery
from intulse_desktop.popups import Decision, explain
from intulse_desktop.service import Service
from intulse_desktop.settings import Settings
from intulse_desktop.store import Store
from intulse_desktop.ui.settings.account import ApplyPending, Run
from intulse_desktop.ui.settings.form import Section, note, outcome
from intulse_desktop.ui.widgets import flat_tree, plain_tooltip

NOTICE_WAIT = 2.0  # after the answer, how long the test notice from our own receiver may take
RECENT_DELIVERIES = 100
POLL_MS = 2000  # refused deliveries reach no listener: while the tab shows, look for them this often


class DeliveryTestBox(Section):
    def __init__(
        self,
        service: Service,
        saved: Callable[[], Settings],
        apply_pending: ApplyPending,
        run: Run,
        tested: Callable[[], None],
    ) -> None:
        """``tested``: called once the test's delivery line is in the log."""
        super().__init__("Test delivery")
        self._service = service
        self._saved = saved
        self._apply_pending = apply_pending
        self._tested = tested
        self.test = QPushButton("Test delivery")
        self.test.clicked.connect(lambda: run(self.test_delivery(), "test delivery"))
        self.test_result = outcome()
        self.content.addWidget(
            note(
                "Posts a harmless test event to the public URL (this computer's own address if none is set) "
                f"and waits up to {TEST_TIMEOUT:g} s for this receiver to get it. "
                "Nothing is stored or popped."
            )
        )
        self.content.addWidget(self.test, 0, Qt.AlignmentFlag.AlignLeft)
        self.content.addWidget(self.test_result)

    def load(self, settings: Settings) -> None:
        self.test_result.clear()  # what the last test came to may be stale

    def set_busy(self, busy: bool, valid: bool) -> None:
        self.test.setEnabled(not busy and valid)

    async def test_delivery(self) -> None:
        self.test_result.setText(f"Testing… (up to {TEST_TIMEOUT:g} s)")
        if not await self._apply_pending():
            self.test_result.setText("Not tested: the settings could not be applied (see above).")
            return
        heard: list[TestNotice] = []
        arrived = asyncio.Event()

        def notice(test: TestNotice) -> None:
            heard.append(test)
            arrived.set()

        unsubscribe = self._service.subscribe_tests(notice)
        try:
            result = await check_delivery(self._saved(), self._service.secret)
            if result.ok and not heard:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(arrived.wait(), NOTICE_WAIT)
        finally:
            unsubscribe()
        self.test_result.setText(_test_words(result, heard))
        await self._service.flush()  # its delivery line is committed
        self._tested()


class DeliveriesBox(Section):
    """The receiver's delivery lines, with this run's pop-up decisions; read again every
    ``POLL_MS`` while polling (the tab shows)."""

    def __init__(self, store: Store, decisions: Iterable[tuple[Delivery, Decision]]) -> None:
        super().__init__("Recent deliveries: what the receiver got, and whether it popped")
        self._store = store
        self._decisions = decisions
        self.deliveries = flat_tree(["Received", "Event", "HTTP", "What happened"], fit=range(3))
        self.deliveries.setMinimumHeight(150)
        self.refresh = QPushButton("Refresh")
        self.refresh.clicked.connect(self.refresh_deliveries)
        self._shown_rows: list[tuple[int, str]] = []
        self.poll = QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self.refresh_deliveries)
        self.content.addWidget(self.deliveries)
        self.content.addWidget(self.refresh, 0, Qt.AlignmentFlag.AlignLeft)

    def refresh_deliveries(self) -> None:
        rows = explain(self._store.deliveries(RECENT_DELIVERIES), self._decisions)
        shown = [(row.seq, what) for row, what in rows]
        if shown == self._shown_rows:
            return  # unchanged: keep the selection and the scroll position
        self._shown_rows = shown
        self.deliveries.clear()
        for row, what in rows:
            when = row.received_utc.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            item = QTreeWidgetItem([when, row.event_type, str(row.http_status), what])
            item.setToolTip(3, plain_tooltip(what))
            self.deliveries.addTopLevelItem(item)


def _test_words(result: DeliveryResult, heard: list[TestNotice]) -> str:
    if not result.ok:
        return (
            f"✗ The test did not arrive: {result.message}.\nWhat to do: {result.advice}.\nTested {result.url}"
        )
    lines = [f"✓ The test {result.message}."]
    if heard:
        lines.append(f"This app's receiver got it at {heard[-1].received.astimezone():%H:%M:%S}.")
    else:
        lines.append(
            "But this app's receiver did not report it: another Intulse Desktop with the same secret "
            "answered at that address."
        )
    if not result.from_outside:
        lines.append(
            "Only this computer's own address was tested, because no public URL is set: Intulse cannot "
            "reach it yet."
        )
    lines.append(f"Tested {result.url}")
    return "\n".join(lines)
