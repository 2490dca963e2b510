#!/usr/bin/env bash
# New job's folder summary on a large survey: TerraDesk's scan (walk, stat, each photo's signature
# and EXIF segment, the summary) beside `find` listing the same names, in one run.
#   bench/scan.sh [N=20000] [BYTES=65536]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}; bytes=${2:-65536}
cargo build -q --release -p terradesk-cli --bin terradesk-bench-scan
bin=${CARGO_TARGET_DIR:-target}/release/terradesk-bench-scan
dir=$(mktemp -d)/survey
trap 'rm -rf "$(dirname "$dir")"' EXIT
"$bin" --make "$dir" "$n" "$bytes"
echo "== $n photos of $bytes bytes (page cache warm)"
for i in 1 2 3; do
  /usr/bin/time -f "terradesk scan: %e s wall, %M KiB peak" "$bin" "$dir"
  /usr/bin/time -f "find (names only): %e s wall, %M KiB peak" find "$dir" -type f -printf . | wc -c >/dev/null
done
if [ "$(id -u)" -eq 0 ] && sync && echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then
  echo "== cold page cache"
  /usr/bin/time -f "terradesk scan: %e s wall, %M KiB peak" "$bin" "$dir"
  sync; echo 3 >/proc/sys/vm/drop_caches
  /usr/bin/time -f "find (names only): %e s wall, %M KiB peak" find "$dir" -type f -printf . | wc -c >/dev/null
fi
