#!/usr/bin/env bash
# Many-files benchmark (issue 15): TerraDesk against s5cmd, side by side in one run, uploading
# folders of 64 KiB files (so that per-file costs show) to the same sandbox S3 (release build).
# TerraDesk's time includes what s5cmd does not do: creating the resource, the journal, registering
# every file with upload_callback and the final check of the resource's file list.
#   bench/many.sh [SIZES] [RUNS]     e.g. bench/many.sh "1000 5000 20000 100000" 3
# Per size: wall time (hyperfine, interleaved runs, the store emptied before each), peak memory of
# each client (GNU time), and the sandbox's CPU time and peak memory for one TerraDesk upload
# (a fresh sandbox per size). Results in bench/results/many-*.{json,md,txt}.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-"1000 5000 20000"}
runs=${2:-3}
root=$PWD
work=${BENCH_DIR:-/tmp/terradesk-bench}
bin="${CARGO_TARGET_DIR:-$root/target}/release/terradesk"
mkdir -p "$work" bench/results
for t in hyperfine /usr/bin/time curl python3; do command -v "$t" >/dev/null || { echo "missing $t: apt-get install hyperfine time curl" >&2; exit 1; }; done
. bench/sandbox.sh
s5=$(ensure_s5cmd)
[ -x "$bin" ] || cargo build --release -p terradesk-cli

# Datasets, made once: random bytes, so nothing compresses or dedups.
make_set() {
  local n=$1 dir="$work/many-$1"
  [ -f "$dir.complete" ] && return
  rm -rf "$dir"; mkdir -p "$dir"
  python3 - "$dir" "$n" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, f"DJI_{i:06d}.JPG"), "wb") as f:
        f.write(os.urandom(64 * 1024))
PY
  touch "$dir.complete"
}

port=18789
store="$work/many-store"
tag=many-sandbox
trap stop_sandbox EXIT
# The sandbox's CPU seconds so far (user + system) and its peak memory in MiB.
sandbox_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$(cat "$work/many-sandbox.pid")/stat"; }
sandbox_peak() { awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$(cat "$work/many-sandbox.pid")/status"; }
empty_store="find $store/terra-sandbox -mindepth 1 -delete 2>/dev/null || true; sync"


table="bench/results/many-scaling.md"
echo "| files | TerraDesk [s] | s5cmd [s] | ratio | TerraDesk peak | s5cmd peak | sandbox CPU (TerraDesk upload) | sandbox peak |" > "$table"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|" >> "$table"
for n in $sizes; do
  make_set "$n"
  dir="$work/many-$n"
  stop_sandbox; start_sandbox; sandbox_credentials
  td="rm -rf $work/many-td && TERRADESK_DATA_DIR=$work/many-td $bin upload --json $dir > $work/many-td.json"
  s5c="$s5 --endpoint-url http://127.0.0.1:$port cp '$dir/*' s3://$bucket/$prefix/s5-\$(date +%s%N)/ > /dev/null"
  # One TerraDesk upload on a fresh sandbox first: the sandbox's own cost and memory.
  cpu0=$(sandbox_cpu)
  /usr/bin/time -f "%M %e" -o "$work/many-rss-td" bash -c "$td"
  cpu1=$(sandbox_cpu)
  sb_cpu=$(python3 -c "print(f'{$cpu1 - $cpu0:.1f}')")
  sb_peak=$(sandbox_peak)
  python3 - "$work/many-td.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["files"] == int(sys.argv[2]) and r["registered"] == r["files"] and not r["failed"], r
PY
  eval "$empty_store"
  /usr/bin/time -f "%M %e" -o "$work/many-rss-s5" bash -c "$s5c"
  td_peak=$(( $(cut -d' ' -f1 "$work/many-rss-td") / 1024 ))
  s5_peak=$(( $(cut -d' ' -f1 "$work/many-rss-s5") / 1024 ))
  # Wall time, interleaved.
  r=$runs; [ "$n" -ge 100000 ] && r=1
  hyperfine --runs "$r" --warmup 0 --prepare "$empty_store" --export-json "bench/results/many-$n.json" --export-markdown "bench/results/many-$n.md" \
    -n terradesk "$td" -n s5cmd "$s5c"
  read -r td_s s5_s < <(python3 - "bench/results/many-$n.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
print(f'{r["terradesk"]["median"]:.2f} {r["s5cmd"]["median"]:.2f}')
PY
)
  ratio=$(python3 -c "print(f'{$td_s / $s5_s:.2f}')")
  echo "| $n | $td_s | $s5_s | $ratio | $td_peak MiB | $s5_peak MiB | $sb_cpu s | $sb_peak MiB |" | tee -a "$table"
done
cat "$table"
