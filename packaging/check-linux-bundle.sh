#!/usr/bin/env bash
# Check a built Linux bundle (dist/exportdesk) the way a cataloger's computer would use it,
# from outside the checkout so nothing of the source tree can stand in for the bundle:
#   1. --version and --self-test (offscreen)
#   2. --self-test --on-screen under Xvfb: the xcb platform and the X libraries it needs
#   3. a password into GNOME Keyring and out again: the keyring backends loaded by name
#   4. install.sh for a user, the installed command, and --uninstall
# Needs the Debian packages .ci/run installs (xvfb, dbus, gnome-keyring).
set -euo pipefail
cd "$(dirname "$0")/.."
bundle="$(pwd)/dist/exportdesk"
program="$bundle/exportdesk"
[ -x "$program" ] || { echo "check-linux-bundle: no bundle at $bundle (run build-linux.sh)" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
# A clean environment: the user's folders are the scratch folder's, no source tree on the path.
run() {
  env -i PATH=/usr/bin:/bin HOME="$scratch/home" LANG=C.UTF-8 "$@"
}
mkdir -p "$scratch/home"

echo "== version"
run "$program" --version

echo "== self-test, offscreen"
run timeout 150 "$program" --self-test

echo "== self-test on an X display (Xvfb)"
run timeout 150 xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" \
  "$program" --self-test --on-screen

echo "== keyring: a password through the bundle's keyring backends (GNOME Keyring)"
mkdir -m 700 "$scratch/run"
run XDG_RUNTIME_DIR="$scratch/run" EXPORTDESK_HOME="$scratch/keyring-home" \
  PROGRAM="$program" timeout 60 dbus-run-session -- sh -ec '
    printf %s unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
    "$PROGRAM" account add 100-123-456 >/dev/null
    printf "%s\n" "Bundle-Check-Pa55" | "$PROGRAM" password set --account 100-123-456
    "$PROGRAM" options show --account 100-123-456 --json | grep -q "\"password_stored\": true" \
      || { echo "the password did not reach the keyring" >&2; exit 1; }
    "$PROGRAM" password forget --account 100-123-456
  '

echo "== install.sh for a user, then --uninstall"
run "$bundle/install.sh"
run "$scratch/home/.local/bin/exportdesk" --version
grep -q "^Exec=$scratch/home/.local/lib/exportdesk/exportdesk" \
  "$scratch/home/.local/share/applications/exportdesk.desktop"
[ -f "$scratch/home/.local/share/icons/hicolor/scalable/apps/exportdesk.svg" ]
run "$scratch/home/.local/lib/exportdesk/install.sh" --uninstall
[ ! -e "$scratch/home/.local/bin/exportdesk" ] && [ ! -e "$scratch/home/.local/lib/exportdesk" ]

echo "check-linux-bundle: all checks passed"
