#!/usr/bin/env bash
# Build the one-folder Linux bundle into dist/exportdesk, then check it starts.
# Needs: the project installed in .venv with the "package" extra
#   (python3 -m venv .venv && .venv/bin/pip install -e '.[package]').
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/exportdesk.spec
install -Dm644 packaging/linux/exportdesk.desktop dist/exportdesk/share/applications/exportdesk.desktop
cp -r packaging/icons/hicolor dist/exportdesk/share/icons/ 2>/dev/null \
  || { mkdir -p dist/exportdesk/share/icons && cp -r packaging/icons/hicolor dist/exportdesk/share/icons/; }
dist/exportdesk/exportdesk --version
echo "built dist/exportdesk (run dist/exportdesk/exportdesk)"
