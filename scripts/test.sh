#!/usr/bin/env bash
# Sets up what is missing, then runs every test: Rust (workspace), UI (Vitest), end to end (the
# built app in WebKit through tauri-driver, under Xvfb with a real gnome-keyring). Prints the counts.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/setup.sh test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TERM_COLOR=never
art="$root/artifacts"
rm -rf "$art/test-logs"; mkdir -p "$art/test-logs" "$art/screenshots"
logs="$art/test-logs"
status=0
step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "UI build and component tests (Vitest)"
npm run --silent build:ui
npx vitest run --config ui/vite.config.ts --reporter=default --reporter=json --outputFile="$logs/vitest.json" || status=1

step "Rust tests (workspace; the core's do not build Tauri), with a real Secret Service"
scripts/headless.sh cargo test --no-fail-fast --workspace --exclude terradesk-app 2>&1 | tee "$logs/rust-core.txt" || status=1
step "Rust tests of the desktop shell (commands on Tauri's mock runtime, bindings drift)"
scripts/headless.sh cargo test --no-fail-fast -p terradesk-app 2>&1 | tee "$logs/rust-app.txt" || status=1

if [ -z "${TERRADESK_QUICK:-}" ]; then
  step "Long: a 3 GiB result downloaded at 10 MiB/s, bytes checked (over five minutes; TERRADESK_QUICK=1 skips it)"
  cargo test -p terradesk-core --test unkind -- --ignored 2>&1 | tee "$logs/rust-long.txt" || status=1
fi

step "Building the desktop app and its .deb (debug), as npm run package does"
# The test build trusts the updater test key (tests/data/updater); released builds trust TerraDesk's.
bash scripts/package.sh --debug --bundles deb --config "$root/tests/e2e/tauri.test.conf.json" 2>&1 | tail -n 5
deb=$(ls -t "${CARGO_TARGET_DIR:-$root/target}"/debug/bundle/deb/*.deb | head -n 1)

step "End-to-end tests: the built app in WebKit, under Xvfb"
TERRADESK_APP="${CARGO_TARGET_DIR:-$root/target}/debug/terradesk-app" TERRADESK_DEB="$deb" \
  TERRADESK_CLI="${CARGO_TARGET_DIR:-$root/target}/debug/terradesk" TERRADESK_ARTIFACTS="$art" \
  scripts/headless.sh node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$logs/e2e.tap" tests/e2e/ || status=1

# Counts.
rust_pass=$(cat "$logs"/rust-*.txt | sed -n 's/^test result: .*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' | awk '{s+=$1} END {print s+0}')
rust_fail=$(cat "$logs"/rust-*.txt | sed -n 's/^test result: .*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' | awk '{s+=$1} END {print s+0}')
read -r ui_pass ui_fail < <(node -e 'try{const r=require(process.argv[1]);console.log(r.numPassedTests,r.numFailedTests)}catch{console.log(0,1)}' "$logs/vitest.json")
e2e_pass=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$logs/e2e.tap" 2>/dev/null | tail -1); e2e_pass=${e2e_pass:-0}
e2e_fail=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$logs/e2e.tap" 2>/dev/null | tail -1); e2e_fail=${e2e_fail:-1}
[ "$e2e_pass" -eq 0 ] && status=1
[ "$rust_pass" -eq 0 ] && status=1
[ "$((rust_fail + ui_fail + e2e_fail))" -gt 0 ] && status=1

printf '\nRust: %s passed, %s failed\nUI (Vitest): %s passed, %s failed\nEnd to end: %s passed, %s failed\n' \
  "$rust_pass" "$rust_fail" "$ui_pass" "$ui_fail" "$e2e_pass" "$e2e_fail"
echo "Screenshots: $art/screenshots"
echo "$((rust_pass + ui_pass + e2e_pass)) passed, $((rust_fail + ui_fail + e2e_fail)) failed"
exit $status
