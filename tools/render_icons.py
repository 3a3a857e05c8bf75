"""Render resources/icons/exportdesk.svg into the PNG sizes desktops want, and a Windows .ico.

Run: .venv/bin/python tools/render_icons.py  (offscreen; writes under packaging/icons/).
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "exportdesk.svg"
OUT = ROOT / "packaging" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # what Windows picks from: lists, taskbar, Explorer


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
    pngs = {size: (OUT / "hicolor" / f"{size}x{size}" / "apps" / "exportdesk.png").read_bytes()
            for size in ICO_SIZES}  # fmt: skip
    (OUT / "exportdesk.ico").write_bytes(ico(pngs))
    del app
    print(f"wrote icons under {OUT}")
    return 0


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows icon holding each size as PNG (Windows Vista and later read these): one
    file, sharp at every size Windows draws it, instead of a single size scaled down."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    directory, data = b"", b""
    offset = len(header) + 16 * len(pngs)
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an icon directory
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    return header + directory + data


if __name__ == "__main__":
    sys.exit(main())
