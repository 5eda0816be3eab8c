#!/usr/bin/env bash
# Cost of the global model on a large input folder: `replenish run --shard 0/1000`
# (ingest, the global model's fits on every series, then the forecasts of one
# thousandth of the series) with the global model on and off, REPEATS times
# each, alternating. The difference in wall time is the global model's
# covariates and fits; peak RSS is the whole process's.
#
# Usage: benches/global_fit.sh DATA_DIR [REPEATS]
#   e.g. replenish sample --skus 50000 --years 3 --seed 7 --out /tmp/big100k
#   REPLENISH_BIN overrides the binary (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/.."
data="$1"; repeats="${2:-2}"
bin="${REPLENISH_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/replenish"
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
printf '[forecast.global]\nenabled = false\n' > "$tmp/off.toml"
printf '[forecast.global]\nenabled = true\n' > "$tmp/on.toml"
for i in $(seq "$repeats"); do
  for mode in off on; do
    rm -rf "$tmp/out"
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$bin" run --data "$data" --out "$tmp/out" \
        --config "$tmp/$mode.toml" --quiet --shard 0/1000
    read -r wall rss < "$tmp/time"
    echo "global $mode run $i: ${wall} s wall, $((rss / 1024)) MB peak RSS"
  done
done
