"""A short sound per kind of pop-up (our own synthesised WAVs, see resources/)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QUrl
from PySide6.QtMultimedia import QSoundEffect

from intulse_desktop.resources import sound_path


class Sounds(QObject):
    """Loaded on first use, so an app that never pops never loads the audio stack."""

    def __init__(self) -> None:
        super().__init__()
        self._effects: dict[str, QSoundEffect] = {}

    def play(self, kind: str, volume: float = 0.8) -> None:
        effect = self._effects.get(kind)
        if effect is None:
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(sound_path(kind))))
            self._effects[kind] = effect
        effect.setVolume(volume)
        effect.play()
