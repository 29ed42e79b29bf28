"""What an attempt came to, for code and for people: one shape for every "it failed, here is why".

A network failure (``sender.classify``), an Intulse API request and a delivery
check all end in an ``Outcome``: ``ok``; ``kind``, an enum member for code to
branch on; ``message``, what happened; ``advice``, what to do ("" when ok).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

K = TypeVar("K", bound=StrEnum, covariant=True)


@dataclass(frozen=True)
class Outcome(Generic[K]):
    ok: bool
    kind: K
    message: str
    advice: str = ""
    status: int | None = None  # the HTTP status, when an answer came

    def __str__(self) -> str:
        return self.message
