#!/usr/bin/env bash
# End-to-end timing of `replenish run` (release build) on a generated data set.
# Usage: benches/run_sample.sh [SKUS] [REPEATS]   (default: the committed sample, 5 repeats)
# Prints each wall time and the median, and the peak RSS of the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
skus="${1:-}"
repeats="${2:-5}"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/replenish"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "$skus" ]; then
  data="$work/data"
  /usr/bin/time -f "sample: %e s, %M KB" "$bin" sample --skus "$skus" --out "$data"
else
  data="data/sample"
fi
times=()
for i in $(seq "$repeats"); do
  start=$(date +%s.%N)
  /usr/bin/time -o "$work/rss" -f "%M" "$bin" run --data "$data" --out "$work/reports" --quiet
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc -l)
  times+=("$t")
  printf 'run %d: %.3f s\n' "$i" "$t"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "median: %.3f s over %d runs\n", m, NR}'
echo "peak RSS (last run): $(cat "$work/rss") KB"
