"""Render the app icon SVG into what the installers need, under packaging/icons/:

- ``hicolor/NxN/apps/intulse-desktop.png`` (Linux icon theme, 16..512),
- ``intulse-desktop.ico`` (Windows exe and installer),
- ``intulse-desktop.icns`` (macOS app bundle).

Each size is rendered from the SVG by QtSvg (the renderer the app itself uses),
so small sizes are drawn sharp, not scaled down; Pillow only packs the files.

    python packaging/make_icons.py      # needs PySide6 and Pillow
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SVG = HERE.parent / "resources" / "app" / "intulse-desktop.svg"
OUT = HERE / "icons"
NAME = "intulse-desktop"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an .ico holds
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)  # 1024 is 512@2x


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(data.data())).convert("RGBA")


def save_set(path: Path, images: dict[int, Image.Image], wanted: tuple[int, ...], **options: object) -> None:
    """Pack one rendering per size (the largest first), so none is a scaled-down copy."""
    largest, *rest = (images[s] for s in sorted(wanted, reverse=True))
    largest.save(path, append_images=rest, **options)


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication(sys.argv[:1])  # noqa: F841  (QPainter needs the application object)
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        sys.exit(f"cannot render {SVG}")
    images = {size: render(renderer, size) for size in sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES})}

    for size in PNG_SIZES:
        folder = OUT / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        images[size].save(folder / f"{NAME}.png", optimize=True)
    save_set(OUT / f"{NAME}.ico", images, ICO_SIZES, sizes=[(s, s) for s in ICO_SIZES])
    save_set(OUT / f"{NAME}.icns", images, ICNS_SIZES)
    print(f"wrote {len(PNG_SIZES)} PNGs, {NAME}.ico and {NAME}.icns to {OUT}")


if __name__ == "__main__":
    main()
