"""Settings dialog: the cost of a keystroke (every field is revalidated) and of opening it,
each against a baseline measured in the same run.

    QT_QPA_PLATFORM=offscreen python benchmarks/settings_dialog.py [--rounds 300]

Keystroke: text set in the dialog's extension field, then the events processed (validation,
reasons, previews, repaint) — against the same in a plain line edit in a window of the same
size. Opening: building and showing the dialog (245 countries, five tabs) — against the
caller-details window. Medians, so the noise of a shared two-core machine stays out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

import qasync
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from intulse_desktop.paths import Paths
from intulse_desktop.secrets import SecretStore
from intulse_desktop.service import Service
from intulse_desktop.settings import Settings
from intulse_desktop.tasks import Tasks
from intulse_desktop.ui.details import CallerDetails
from intulse_desktop.ui.shell import Shell


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def keystrokes(app: QApplication, field: QLineEdit, rounds: int) -> list[float]:
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        field.setText(str(200 + i % 50))
        app.processEvents()
        samples.append(time.perf_counter() - started)
    return samples


async def main(rounds: int) -> None:
    app = QApplication.instance()
    with tempfile.TemporaryDirectory() as home:
        paths = Paths.resolve(home).ensure()
        settings = Settings(extension="204", my_numbers=["+13175550100"])
        service = Service(paths, settings, "benchmark-secret-0123456789")
        await service.start()
        desktop = Shell(
            service,
            paths,
            Tasks(asyncio.get_running_loop()),
            SecretStore(paths),
            tray_available=lambda: True,
        )

        opened, baseline_opened = [], []
        for _ in range(max(5, rounds // 30)):
            started = time.perf_counter()
            dialog = desktop.new_settings_dialog()
            dialog.show()
            app.processEvents()
            opened.append(time.perf_counter() - started)
            dialog.close()
            dialog.deleteLater()
            started = time.perf_counter()
            details = CallerDetails(desktop.store, lambda: "US", desktop.actions)
            details.show_number("+13175550142", "ACME")
            app.processEvents()
            baseline_opened.append(time.perf_counter() - started)
            details.close()
            details.deleteLater()
            app.processEvents()

        dialog = desktop.new_settings_dialog()
        dialog.show()
        plain = QWidget()
        plain.resize(dialog.size())
        QVBoxLayout(plain).addWidget(plain_field := QLineEdit())
        plain.show()
        app.processEvents()
        typed, baseline_typed = [], []
        for _ in range(3):  # interleaved, so drift hits both alike
            typed += keystrokes(app, dialog.me.extension, rounds // 3)
            baseline_typed += keystrokes(app, plain_field, rounds // 3)

        print(
            f"keystroke in the dialog: {median_ms(typed):.2f} ms median "
            f"(plain line edit {median_ms(baseline_typed):.2f} ms; "
            f"ratio {median_ms(typed) / median_ms(baseline_typed):.1f}x)"
        )
        print(
            f"opening the dialog: {median_ms(opened):.1f} ms median "
            f"(caller details {median_ms(baseline_opened):.1f} ms; "
            f"ratio {median_ms(opened) / median_ms(baseline_opened):.1f}x)"
        )
        dialog.close()
        plain.close()
        desktop.close()
        await service.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    qasync.run(main(parser.parse_args().rounds))
