#!/bin/sh
# Install the ExportDesk bundle this script sits in (dist/exportdesk, or the unpacked tarball),
# with its menu entry and icons.
#
#   ./install.sh                      for you: ~/.local/lib/exportdesk, ~/.local/bin/exportdesk
#   sudo ./install.sh --system        for everyone: /opt/exportdesk, /usr/local/bin/exportdesk
#   ./install.sh --uninstall          (add --system for the system-wide copy)
#
# DESTDIR puts a --system install under a staging folder (for building .deb or .rpm files).
# Settings, records and saved passwords are never touched: they belong to each user.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
scope=user
action=install
for arg in "$@"; do
  case "$arg" in
    --system) scope=system ;;
    --uninstall) action=uninstall ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$scope" = system ]; then
  root="${DESTDIR:-}"
  program="$root/opt/exportdesk"
  bin="$root/usr/local/bin"
  share="$root/usr/local/share"
  runs_as="/opt/exportdesk/exportdesk"
else
  data="${XDG_DATA_HOME:-$HOME/.local/share}"
  program="$HOME/.local/lib/exportdesk"
  bin="$HOME/.local/bin"
  share="$data"
  runs_as="$program/exportdesk"
fi
icon_sizes="16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512 scalable"

refresh_menus() {
  # Desktops notice new entries by themselves; these make it immediate where they exist.
  command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database -q "$share/applications" 2>/dev/null || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 \
    && gtk-update-icon-cache -q -t "$share/icons/hicolor" 2>/dev/null || true
}

if [ "$action" = uninstall ]; then
  rm -rf "$program"
  rm -f "$bin/exportdesk" "$share/applications/exportdesk.desktop"
  for size in $icon_sizes; do
    rm -f "$share/icons/hicolor/$size/apps/exportdesk.png" "$share/icons/hicolor/$size/apps/exportdesk.svg"
  done
  refresh_menus
  echo "ExportDesk removed ($scope). Your settings and records are where they were."
  exit 0
fi

[ -x "$here/exportdesk" ] || { echo "install.sh: no exportdesk program beside this script" >&2; exit 1; }
if [ "$here" != "$program" ]; then
  rm -rf "$program"
  mkdir -p "$program"
  cp -a "$here/." "$program/"
fi
mkdir -p "$bin" "$share/applications"
ln -sf "$runs_as" "$bin/exportdesk"
# The menu entry names the program by its full path: ~/.local/bin is not on every desktop's PATH.
sed -e "s|^Exec=exportdesk|Exec=$runs_as|" -e "s|^TryExec=.*|TryExec=$runs_as|" \
  "$here/share/applications/exportdesk.desktop" > "$share/applications/exportdesk.desktop"
chmod 644 "$share/applications/exportdesk.desktop"
for size in $icon_sizes; do
  for icon in "$here/share/icons/hicolor/$size/apps/"exportdesk.*; do
    [ -e "$icon" ] || continue
    mkdir -p "$share/icons/hicolor/$size/apps"
    cp "$icon" "$share/icons/hicolor/$size/apps/"
  done
done
refresh_menus
echo "ExportDesk installed ($scope): $bin/exportdesk, menu entry $share/applications/exportdesk.desktop"
echo "Check it with: $bin/exportdesk --self-test"
