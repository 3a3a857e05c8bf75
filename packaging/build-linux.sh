#!/usr/bin/env bash
# Build the one-folder Linux bundle into dist/exportdesk, check it holds what it needs and
# starts, and (with --tarball) pack it as dist/exportdesk-VERSION-linux-ARCH.tar.gz.
# Needs: the project installed with the "package" extra
#   (python3 -m venv .venv && .venv/bin/pip install -e '.[package]'); PYTHON names another
#   interpreter. See packaging/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
tarball=no
[ "${1:-}" = "--tarball" ] && tarball=yes

"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/exportdesk.spec

bundle=dist/exportdesk
# The desktop entry and icons travel with the bundle; packaging/linux/install.sh puts them
# where desktops look.
install -Dm644 packaging/linux/exportdesk.desktop "$bundle/share/applications/exportdesk.desktop"
install -Dm755 packaging/linux/install.sh "$bundle/install.sh"
mkdir -p "$bundle/share/icons"
cp -r packaging/icons/hicolor "$bundle/share/icons/"

# What the bundle must hold: a Qt hook or an exclusion that drops one of these makes a
# program that starts here and fails on a cataloger's desktop.
plugins="$bundle/_internal/PySide6/Qt/plugins"
required=(
  "$bundle/_internal/resources/samples/demo.mrc"
  "$bundle/_internal/resources/marc21/bibliographic.json"
  "$bundle/_internal/resources/icons/exportdesk.svg"
  "$plugins/iconengines/libqsvgicon.so"      # the SVG application icon
  "$plugins/imageformats/libqsvg.so"
  "$plugins/platforms/libqxcb.so"            # X11 desktops
  "$plugins/platforms/libqwayland.so"        # Wayland desktops (Qt falls back to xcb)
  "$plugins/platforms/libqoffscreen.so"      # --self-test
  "$plugins/platformthemes/libqgtk3.so"      # native file dialogs on GNOME
)
for module in chainer SecretService libsecret kwallet; do
  required+=("keyring.backends.$module")
done
missing=()
for item in "${required[@]}"; do
  case "$item" in
    keyring.*) grep -aq "$item" "build/pyinstaller/exportdesk/PYZ-00.toc" || missing+=("$item") ;;
    *) [ -e "$item" ] || missing+=("$item") ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-linux: the bundle lacks: ${missing[*]}" >&2
  exit 1
fi

"$bundle/exportdesk" --version
echo "built $bundle ($(du -sh "$bundle" | cut -f1)); run $bundle/exportdesk"

if [ "$tarball" = yes ]; then
  version=$("$bundle/exportdesk" --version | awk '{print $2}')
  archive="dist/exportdesk-$version-linux-$(uname -m).tar.gz"
  tar -C dist -czf "$archive" exportdesk
  echo "packed $archive"
fi
