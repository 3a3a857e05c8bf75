"""Render resources/icons/exportdesk.svg into the PNG sizes desktops want, and a Windows .ico.

Run: .venv/bin/python tools/render_icons.py  (offscreen; writes under packaging/icons/).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "exportdesk.svg"
OUT = ROOT / "packaging" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    images = {}
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = OUT / "hicolor" / f"{size}x{size}" / "apps" / "exportdesk.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(target))
        images[size] = image
    scalable = OUT / "hicolor" / "scalable" / "apps" / "exportdesk.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes(SVG.read_bytes())
    if not images[256].save(str(OUT / "exportdesk.ico")):
        print("note: this Qt has no .ico writer; build the .ico on Windows", file=sys.stderr)
    del app
    print(f"wrote icons under {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
