"""Sample webhook bodies and other test data, built the same way in every test."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent.parent / "payloads"
API_KEY = "ik_live_5f1e0c9d8b7a6f5e4d3c"
SECRET = "test-webhook-secret-0123456789abcdef"


def payload(name: str) -> dict[str, Any]:
    """The sample body ``name`` (``CallStarted``, ``CallCompleted-missed``, …) from tests/payloads."""
    body: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return body


def event_type_of(name: str) -> str:
    """The webhook type a sample is sent as: ``CallCompleted-missed`` is a ``CallCompleted``."""
    return name.split("-")[0]


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A playable mono 16-bit WAV file of ``seconds`` of near-silence."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x10" * int(seconds * rate))
    return out.getvalue()


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    """A small blue PNG image, made without Qt."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x1a\x73\xe8" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
