#!/usr/bin/env bash
# Upload benchmark: TerraDesk against s5cmd, `aws s3 cp --recursive` and `rclone copy`, all to the
# same local S3 server (the sandbox's, release build), on two datasets:
# 300 × 8 MiB photos and 2 × 1 GiB LiDAR files. Times with hyperfine; peak memory with GNU time.
#   bench/upload.sh [RUNS]        results in bench/results/upload-*.json and printed as a table
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
root=$PWD
work=${BENCH_DIR:-/tmp/terradesk-bench}
bin="${CARGO_TARGET_DIR:-$root/target}/release/terradesk"
mkdir -p "$work" bench/results
for t in hyperfine rclone aws /usr/bin/time; do command -v "$t" >/dev/null || { echo "missing $t: apt-get install hyperfine rclone awscli time" >&2; exit 1; }; done
[ -x "$bin" ] || cargo build --release -p terradesk-cli

# Datasets (made once; random bytes so nothing compresses or dedups).
if [ ! -f "$work/photos/DJI_0300.JPG" ]; then
  mkdir -p "$work/photos"
  for i in $(seq -w 1 300); do head -c $((8 * 1024 * 1024)) /dev/urandom > "$work/photos/DJI_0$i.JPG"; done
fi
if [ ! -f "$work/lidar/scan_2.LDR" ]; then
  mkdir -p "$work/lidar"
  for i in 1 2; do head -c $((1024 * 1024 * 1024)) /dev/urandom > "$work/lidar/scan_$i.LDR"; done
fi

port=18788
store="$work/store"
tag=sandbox
. bench/sandbox.sh
trap stop_sandbox EXIT
start_sandbox
sandbox_credentials
peers "http://127.0.0.1:$port"
# Each command uploads the whole folder to a fresh key prefix.
td="rm -rf $work/td-data && TERRADESK_DATA_DIR=$work/td-data $bin upload --json"

for ds in photos lidar; do
  dir="$work/$ds"
  cmds=(
    -n terradesk "$td $dir"
    -n "aws s3 cp" "$aws_cmd $dir s3://$bucket/$prefix/aws-\$(date +%s%N)/"
    -n "rclone copy" "$rc $dir sb:$bucket/$prefix/rclone-\$(date +%s%N)/"
  )
  cmds+=(-n s5cmd "$s5 '$dir/*' s3://$bucket/$prefix/s5-\$(date +%s%N)/ > /dev/null")
  # Empty the store between runs so disk space and directory sizes stay the same.
  hyperfine --runs "$runs" --warmup 0 --prepare "find $store/$bucket -mindepth 1 -delete 2>/dev/null || true; sync" \
    --export-json "bench/results/upload-$ds.json" --export-markdown "bench/results/upload-$ds.md" "${cmds[@]}"
  # Peak memory (maximum resident set size), one run each.
  : > "bench/results/upload-$ds-memory.txt"
  for name in terradesk s5cmd aws rclone; do
    case $name in
      terradesk) c="$td $dir" ;;
      s5cmd) c="$s5 '$dir/*' s3://$bucket/$prefix/s5-mem-$ds/" ;;
      aws) c="$aws_cmd $dir s3://$bucket/$prefix/aws-mem-$ds/" ;;
      rclone) c="$rc $dir sb:$bucket/$prefix/rclone-mem-$ds/" ;;
    esac
    find "$store/$bucket" -mindepth 1 -delete 2>/dev/null || true
    /usr/bin/time -f "%M" -o "$work/rss" bash -c "$c" >/dev/null 2>&1
    echo "peak RSS $ds $name: $(( $(cat "$work/rss") / 1024 )) MiB" | tee -a "bench/results/upload-$ds-memory.txt"
  done
done
