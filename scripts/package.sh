#!/usr/bin/env bash
# Builds the installers this machine can build, with `tauri build`: on Linux a .deb and an .rpm
# (and an .AppImage with TERRADESK_APPIMAGE=1: its tools are downloaded, so it needs the network),
# each holding the app, its icon and desktop entry, and the `terradesk` CLI in /usr/bin.
#   scripts/package.sh            release build (what survey staff install)
#   scripts/package.sh --debug    a debug build (what the tests install: quicker to build)
# Other options go to `tauri build` (for instance `--bundles deb`). The installers land in
# <target>/<profile>/bundle/. Windows (.msi, NSIS .exe) and macOS (.dmg) are built by
# .github/workflows/release.yml on those systems.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

profile=release
args=()
triple=""
prev=""
for a in "$@"; do
  if [ "$a" = --debug ]; then profile=debug; args+=(--debug); else args+=("$a"); fi
  [ "$prev" = --target ] && triple=$a
  prev=$a
done
bundles=()
if [[ " ${args[*]:-} " != *" --bundles "* ]]; then
  case "$(uname -s)" in
    Linux) bundles=(--bundles "deb,rpm${TERRADESK_APPIMAGE:+,appimage}") ;;
    Darwin) bundles=(--bundles "app,dmg") ;;
    *) bundles=(--bundles "msi,nsis") ;;
  esac
fi

target=$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
cargo_profile=()
[ "$profile" = release ] && cargo_profile=(--release)
[ -n "$triple" ] && cargo_profile+=(--target "$triple") && target="$target/$triple"
echo "==> The terradesk CLI ($profile)"
cargo build -q -p terradesk-cli "${cargo_profile[@]}"
cli="$target/$profile/terradesk"
# The CLI goes next to the app in every Linux package (the path is this build's, so it is given
# here rather than written in tauri.conf.json).
extra=$(printf '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/terradesk":"%s"}},"rpm":{"files":{"/usr/bin/terradesk":"%s"}},"appimage":{"files":{"/usr/bin/terradesk":"%s"}}}}}' "$cli" "$cli" "$cli")
echo "==> The app and its installers ($profile)"
npm run --silent tauri -- build "${args[@]}" "${bundles[@]}" --config "$extra"
echo "Installers in $target/$profile/bundle/"
