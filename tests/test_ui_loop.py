"""The writer's own timers under Qt, which may run them between the asyncio loop's passes."""

from __future__ import annotations

from .helpers.net import deliver


def test_calls_are_indexed_and_checkpointed_when_qt_runs_the_timers(
    desktop, qtbot, qloop, monkeypatch, caplog
):
    monkeypatch.setattr("intulse_desktop.store.writer.INDEX_DELAY", 0.01)
    monkeypatch.setattr("intulse_desktop.store.writer.CHECKPOINT_DELAY", 0.01)
    deliver(desktop, "CallCompleted")
    waiting = "SELECT count(*) FROM call_numbers WHERE n > (SELECT upto FROM search_indexed)"

    def indexed() -> bool:
        qtbot.wait(20)  # Qt's event loop, not asyncio's run_until_complete, fires the timers here
        qloop.run_until_complete(desktop.service.flush())  # the queued job commits
        return desktop.store._db.execute(waiting).fetchone()[0] == 0

    qtbot.waitUntil(indexed, timeout=3000)
    assert "no running event loop" not in caplog.text
