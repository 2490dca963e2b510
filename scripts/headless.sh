#!/usr/bin/env bash
# Runs a command as a fresh desktop session would, leaving nothing behind: private HOME and XDG
# folders, a private D-Bus session with an unlocked gnome-keyring Secret Service, a private kernel
# keyring, and an Xvfb display. Everything is removed and every daemon stopped when it ends.
set -euo pipefail
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="$CARGO_HOME/bin:$PATH"
root=$(mktemp -d "${TMPDIR:-/tmp}/terradesk-session.XXXXXX")
export HOME="$root/home" XDG_CONFIG_HOME="$root/config" XDG_DATA_HOME="$root/data" \
  XDG_CACHE_HOME="$root/cache" XDG_RUNTIME_DIR="$root/run" XDG_STATE_HOME="$root/state" \
  NO_AT_BRIDGE=1 GTK_A11Y=none
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME"
chmod 700 "$XDG_RUNTIME_DIR"
cleanup() {
  # gnome-keyring-daemon outlives the bus on some versions: stop the ones of this session.
  for pid in $(pgrep -f gnome-keyring-daemon || true); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$root"
}
trap cleanup EXIT
keyctl session - dbus-run-session -- bash -c '
  echo -n terradesk | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$@"
' headless "$@"
