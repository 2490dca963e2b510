#!/usr/bin/env bash
# Emulated field uplink (issue 16): TerraDesk, s5cmd, `aws s3 cp` and `rclone copy` upload the
# same datasets to the sandbox across a link of RATE Mbit/s with 80 ms of round trip (bench/link.sh:
# two network namespaces, tc tbf, and bench/linkemu holding each packet 40 ms each way). Each
# dataset is sized to about 30 s at the link's rate: 8 MiB photos, and one LiDAR file of the same
# total (multipart). Paired in one hyperfine run per dataset and rate. Needs root.
#   bench/uplink.sh [RUNS] [RATES]          e.g. bench/uplink.sh 2 "20 100"
#   bench/uplink.sh interrupt [RATE]        the link cut for 10 s, and the app killed, midway
# Results: bench/results/uplink-*.json and bench/results/uplink.md (the table in BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${BENCH_DIR:-/tmp/terradesk-uplink}
bin="${CARGO_TARGET_DIR:-$root/target}/release/terradesk"
delay_ms=${DELAY_MS:-40}
mkdir -p "$work" bench/results
[ "$(id -u)" = 0 ] || { echo "bench/uplink.sh needs root (network namespaces, tc)" >&2; exit 1; }
for t in hyperfine rclone aws; do command -v "$t" >/dev/null || { echo "missing $t: scripts/setup.sh bench" >&2; exit 1; }; done
[ -x "$bin" ] || cargo build --release -p terradesk-cli

. bench/link.sh
port=18790 store="$work/store" tag=uplink-sandbox
sb_host=$link_server_ip sb_exec="ip netns exec $link_server" cl_exec="ip netns exec $link_client"
. bench/sandbox.sh
cleanup() { stop_sandbox; link_teardown; }
trap cleanup EXIT

# Datasets of about 30 s at RATE Mbit/s: "photos" (8 MiB files) and "lidar" (one file as big).
datasets() {
  local rate=$1 n
  n=$(( (rate * 125000 * 30 + 8388607) / 8388608 ))
  photos="$work/photos-$rate" lidar="$work/lidar-$rate" bytes=$(( n * 8388608 ))
  if [ ! -f "$photos/DJI_$(printf %04d "$n").JPG" ]; then
    rm -rf "$photos"; mkdir -p "$photos"
    for i in $(seq -f %04g 1 "$n"); do head -c 8388608 /dev/urandom > "$photos/DJI_$i.JPG"; done
  fi
  if [ "$(stat -c %s "$lidar/scan.LDR" 2>/dev/null || echo 0)" != "$bytes" ]; then
    rm -rf "$lidar"; mkdir -p "$lidar"; cat "$photos"/*.JPG > "$lidar/scan.LDR"
  fi
}

start() {
  link_up "$1" "$delay_ms"
  start_sandbox
  sandbox_credentials
  peers "http://$sb_host:$port"
  td="rm -rf $work/td-data && TERRADESK_DATA_DIR=$work/td-data $bin upload --json"
}

if [ "${1:-}" = interrupt ]; then
  rate=${2:-20}
  datasets "$rate"
  start "$rate"
  out="bench/results/uplink-interrupt.md"
  src="$lidar"
  # Bytes an uninterrupted upload sends (headers, parts, and the API calls) is the baseline.
  base0=$(link_bytes); on_client bash -c "$td $src" > /dev/null; base=$(( $(link_bytes) - base0 ))
  # The link dead for 10 s a third of the way through.
  find "$store/terra-sandbox" -mindepth 1 -delete 2>/dev/null || true
  b0=$(link_bytes); t0=$(date +%s.%N)
  on_client bash -c "$td $src" > "$work/cut.json" &
  pid=$!
  sleep 12; link_cut; sleep 10; link_restore
  wait "$pid"
  cut_s=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
  cut=$(( $(link_bytes) - b0 ))
  # The app killed a third of the way through, then run again (it resumes from its journal).
  find "$store/terra-sandbox" -mindepth 1 -delete 2>/dev/null || true
  rm -rf "$work/td-data"
  b0=$(link_bytes)
  # Not through the on_client function: $! must be the app itself, not a subshell.
  ip netns exec "$link_client" env TERRADESK_DATA_DIR="$work/td-data" "$bin" upload --json "$src" > /dev/null &
  pid=$!
  sleep 12; kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  on_client env TERRADESK_DATA_DIR="$work/td-data" "$bin" upload --json "$src" > "$work/kill.json"
  killed=$(( $(link_bytes) - b0 ))
  python3 - "$rate" "$bytes" "$base" "$cut" "$cut_s" "$killed" "$work/cut.json" "$work/kill.json" > "$out" <<'PY'
import json, sys
rate, size, base, cut, cut_s, killed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
for f in sys.argv[7:]:
    r = json.load(open(f))
    assert r["registered"] == r["files"] == 1, r
mib = 1024 * 1024
print(f"Interruptions at {rate} Mbit/s, 80 ms: one {size / mib:.0f} MiB LiDAR file (16 MiB parts); bytes sent over the link")
print()
print("| case | sent | more than an uninterrupted upload | in 16 MiB parts |")
print("| --- | --- | --- | --- |")
print(f"| no interruption | {base / mib:.1f} MiB | — | — |")
print(f"| link down 10 s at 12 s (finished in {cut_s} s) | {cut / mib:.1f} MiB | {(cut - base) / mib:.1f} MiB | {(cut - base) / (16 * mib):.2f} |")
print(f"| app killed at 12 s, run again | {killed / mib:.1f} MiB | {(killed - base) / mib:.1f} MiB | {(killed - base) / (16 * mib):.2f} |")
PY
  cat "$out"
  exit 0
fi

runs=${1:-2}
rates=${2:-"20 100"}
table="bench/results/uplink.md"
echo "| link | dataset | tool | time [s] | MiB/s | % of link |" > "$table"
echo "| --- | --- | --- | --- | --- | --- |" >> "$table"
for rate in $rates; do
  datasets "$rate"
  start "$rate"
  for ds in photos lidar; do
    dir=${!ds}
    cmds=(
      -n terradesk "$td $dir"
      -n s5cmd "$s5 '$dir/*' s3://$bucket/$prefix/s5-\$(date +%s%N)/ > /dev/null"
      -n "aws s3 cp" "$aws_cmd $dir s3://$bucket/$prefix/aws-\$(date +%s%N)/"
      -n "rclone copy" "$rc $dir sb:$bucket/$prefix/rclone-\$(date +%s%N)/"
    )
    on_client hyperfine --runs "$runs" --warmup 0 --prepare "find $store/terra-sandbox -mindepth 1 -delete 2>/dev/null || true; sleep 1" \
      --export-json "bench/results/uplink-$rate-$ds.json" "${cmds[@]}"
    python3 - "bench/results/uplink-$rate-$ds.json" "$rate" "$ds" "$bytes" >> "$table" <<'PY'
import json, sys
path, rate, ds, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
for r in json.load(open(path))["results"]:
    t = r["mean"]
    mibs = size / t / 2**20
    pct = size / t / (rate * 125000) * 100
    print(f"| {rate} Mbit/s, 80 ms | {ds} ({size // 2**20} MiB) | {r['command']} | {t:.1f} ± {r['stddev'] or 0:.1f} | {mibs:.2f} | {pct:.1f} % |")
PY
  done
  stop_sandbox
  link_teardown
done
cat "$table"
