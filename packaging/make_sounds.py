"""Synthesise the notification sounds into resources/sounds/.

Made here from sine waves, so we own them outright (CC0). Short, soft, mono
16-bit PCM WAV: what QSoundEffect plays on every platform without a codec.

    python packaging/make_sounds.py [OUT_DIR]
"""

from __future__ import annotations

import math
import struct
import sys
import wave
from pathlib import Path

RATE = 44_100
PEAK = 0.45  # of full scale, about -7 dBFS: noticeable, never harsh
ATTACK = 0.004  # seconds; a hard start clicks
TAIL = 0.03  # seconds of fade at the very end
OUT = Path(__file__).resolve().parent.parent / "resources" / "sounds"

C6, E6, G6, B6 = 1046.50, 1318.51, 1567.98, 1975.53
E5, G5 = 659.26, 783.99

# name: (length in seconds, [(start, frequency, decay time constant)])
SOUNDS = {
    # Incoming call: a bright rising arpeggio, twice, like a soft doorbell.
    "ring": (
        0.95,
        [(t0 + dt, f, 0.11) for t0 in (0.0, 0.4) for dt, f in ((0.0, C6), (0.09, E6), (0.18, G6))],
    ),
    # Missed call: two falling notes, lower and slower, so it reads as "you missed it".
    "missed": (0.75, [(0.0, G5, 0.16), (0.2, E5, 0.22)]),
    # Text message: a quick two-note blip, the shortest of the three.
    "text": (0.4, [(0.0, E6, 0.06), (0.07, B6, 0.08)]),
}

# A mallet-like tone: the fundamental and two quieter overtones that die away faster.
PARTIALS = ((1.0, 1.0, 1.0), (2.0, 0.25, 0.5), (3.0, 0.08, 0.33))  # (multiple, level, decay factor)


def render(length: float, notes: list[tuple[float, float, float]]) -> list[float]:
    samples = [0.0] * round(length * RATE)
    for start, freq, decay in notes:
        first = round(start * RATE)
        for i in range(len(samples) - first):
            t = i / RATE
            envelope = min(1.0, t / ATTACK)
            samples[first + i] += envelope * sum(
                level * math.exp(-t / (decay * factor)) * math.sin(2 * math.pi * freq * multiple * t)
                for multiple, level, factor in PARTIALS
            )
    tail = round(TAIL * RATE)
    for i in range(tail):
        samples[-1 - i] *= i / tail
    scale = PEAK / max(abs(s) for s in samples)
    return [s * scale for s in samples]


def write_wav(path: Path, samples: list[float]) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", round(s * 32767)) for s in samples))


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    for name, (length, notes) in SOUNDS.items():
        write_wav(out / f"{name}.wav", render(length, notes))
        print(f"{out / name}.wav  {length:.2f} s")


if __name__ == "__main__":
    main()
