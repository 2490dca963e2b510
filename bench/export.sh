#!/usr/bin/env bash
# Export benchmark: a 5 GiB 2D result exported as a Terra ZIP by TerraDesk, against `zip -0 -r`
# on the same tree. Times with hyperfine; peak memory with GNU time.
#   bench/export.sh [RUNS]     results in bench/results/export.{json,md} and export-memory.txt
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
root=$PWD
work=${BENCH_DIR:-/tmp/terradesk-bench}
bin="${CARGO_TARGET_DIR:-$root/target}/release/terradesk-bench-export"
mkdir -p "$work" bench/results
[ -x "$bin" ] || cargo build --release -p terradesk-cli --bin terradesk-bench-export

# A 2D result of 5 GiB: 40 orthomosaic/DSM tiles of 120 MiB, 2,000 small AT/tile files, mission.json.
tree="$work/result-5g"
if [ ! -f "$tree/mission.json" ]; then
  mkdir -p "$tree/map/tiles" "$tree/AT" "$tree/images"
  for i in $(seq -w 1 40); do head -c $((128 * 1024 * 1024)) /dev/urandom > "$tree/map/tiles/tile_$i.tif"; done
  for i in $(seq 1 2000); do printf '{"camera": %d, "x": %d.5, "y": %d.25}\n%.0s' $i $i $i $(seq 1 40) > "$tree/AT/cam_$i.json"; done
  for i in $(seq 1 200); do head -c 200000 /dev/urandom > "$tree/images/thumb_$i.jpg"; done
  echo '{"kind": "2d"}' > "$tree/mission.json"
fi
du -sh "$tree"

hyperfine --runs "$runs" --prepare "rm -f $work/td.zip $work/zip0.zip; sync" \
  --export-json bench/results/export.json --export-markdown bench/results/export.md \
  -n "terradesk export" "$bin 2d $tree $work/td.zip" \
  -n "zip -0 -r" "cd $tree && zip -0 -r -q $work/zip0.zip ."
rm -f "$work/td.zip" "$work/zip0.zip"
: > bench/results/export-memory.txt
/usr/bin/time -f "%M" -o "$work/rss" "$bin" 2d "$tree" "$work/td.zip"
echo "peak RSS terradesk export: $(( $(cat "$work/rss") / 1024 )) MiB" | tee -a bench/results/export-memory.txt
(cd "$tree" && /usr/bin/time -f "%M" -o "$work/rss" zip -0 -r -q "$work/zip0.zip" .)
echo "peak RSS zip -0 -r: $(( $(cat "$work/rss") / 1024 )) MiB" | tee -a bench/results/export-memory.txt
rm -f "$work/td.zip" "$work/zip0.zip"
