#!/usr/bin/env bash
# Dataset doctor benchmark (issue 14): `terradesk doctor --json` on 5,000 photos of 8 MiB (about
# 40 GiB), each a real DJI header (tests/data/p4m-mirafiori) padded to full size as a sparse file,
# its last bytes made unique so that no two are copies. Warm page cache (the headers read once
# before) and, as root, cold (caches dropped before each run). Peak memory with GNU time.
#   bench/doctor.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5000}
runs=${2:-3}
root=$PWD
work=${BENCH_DIR:-/tmp/terradesk-doctor}
bin="${CARGO_TARGET_DIR:-$root/target}/release/terradesk"
mkdir -p "$work" bench/results
command -v hyperfine >/dev/null || { echo "missing hyperfine: scripts/setup.sh bench" >&2; exit 1; }
[ -x "$bin" ] || cargo build --release -p terradesk-cli
dir="$work/photos-$n"
if [ ! -f "$dir/DJI_$(printf %05d "$n").JPG" ]; then
  rm -rf "$dir"; mkdir -p "$dir"
  python3 - "$dir" "$n" "$root/tests/data/p4m-mirafiori" <<'PY'
import os, sys
out, n, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
heads = [open(os.path.join(src, f), "rb").read() for f in sorted(os.listdir(src)) if f.endswith(".JPG")]
size = 8 * 1024 * 1024
for i in range(1, n + 1):
    with open(os.path.join(out, f"DJI_{i:05d}.JPG"), "wb") as f:
        f.write(heads[i % len(heads)])
        f.seek(size - 8)
        f.write(i.to_bytes(8, "little"))
PY
fi
echo "$n photos, $(du -sh --apparent-size "$dir" | cut -f1) apparent, $(du -sh "$dir" | cut -f1) on disk"
cmd="TERRADESK_DATA_DIR=$work/data $bin doctor --json $dir > /dev/null"
hyperfine --runs "$runs" --warmup 1 -n "doctor, warm cache" "$cmd" --export-json "bench/results/doctor-$n-warm.json"
if [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ]; then
  hyperfine --runs "$runs" --prepare "sync; echo 3 > /proc/sys/vm/drop_caches" -n "doctor, cold cache" "$cmd" --export-json "bench/results/doctor-$n-cold.json"
fi
/usr/bin/time -f "peak RSS %M KiB, %e s" bash -c "$cmd"
