#!/usr/bin/env bash
# Sets up what is missing, then builds and opens the desktop app (development build, live reload).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
exec npm run --silent tauri -- dev "$@"
