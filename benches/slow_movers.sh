#!/usr/bin/env bash
# Issue 17: `replenish simulate` on the intermittent and smooth data sets, each
# a sales-only folder with a lead time of one bucket and a review of one
# bucket (the sample with its own item master), then a table per data set of
# the achieved fill rate at uniform targets by ABC class and the mean
# inventory each policy needs for the same achieved fill rate
# (benches/slow_movers.py).
#
# Usage: benches/slow_movers.sh OUT_DIR [SET ...]
#   SET: NAME:BUCKET[:ORIGIN_BUCKETS] for a long file of ../shared/datasets,
#        or `sample` for data/sample with its own item master and settings.
# REPLENISH_BIN: the binary to run (default: build the release one).
# PREVIOUS_OUT: the same script's output from the previous binary, for the tables.
# EXTRA_TOML: a file of top-level dotted keys (`policy.x = 1`) appended to
# every config (a variant).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: benches/slow_movers.sh OUT_DIR [SET ...]}"; shift
sets="${*:-breadbasket_daily:week:10 m5_spot10_full:week:52 uci_sales_transactions_weekly:week synth_intermittent:week sample stallion:month}"
data_dir="$(cd ../shared/datasets && pwd)"
if [ -z "${REPLENISH_BIN:-}" ]; then cargo build --release --quiet; fi
bin="${REPLENISH_BIN:-${CARGO_TARGET_DIR:-target}/release/replenish}"
mkdir -p "$out"
for spec in $sets; do
  IFS=: read -r name bucket origin <<<"$spec"
  mkdir -p "$out/$name"
  config="$out/$name/config.toml"
  # Top-level dotted keys only, so that EXTRA_TOML can add any key.
  echo 'simulate.targets = [0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999]' > "$config"
  if [ "$name" = sample ]; then
    data="data/sample"
  else
    data="$out/$name/data"
    mkdir -p "$data"
    ln -sf "$data_dir/$name.csv" "$data/sales.csv"
    days=7; [ "$bucket" = month ] && days=30; [ "$bucket" = day ] && days=1
    {
      echo "run.bucket = \"$bucket\""
      echo "policy.lead_time_days = $days"
      echo "policy.review_period_days = $days"
      if [ -n "${origin:-}" ]; then echo "simulate.origin_buckets = $origin"; fi
      echo 'columns.sales.sku = "unique_id"'
      echo 'columns.sales.date = "ds"'
      echo 'columns.sales.qty = "y"'
    } >> "$config"
  fi
  if [ -n "${EXTRA_TOML:-}" ]; then cat "$EXTRA_TOML" >> "$config"; fi
  echo "== $name ${bucket:-}"
  /usr/bin/time -f "%e s wall, %M KB peak" "$bin" simulate --config "$config" \
      --data "$data" --out "$out/$name/reports" > "$out/$name/console.txt"
done
python3 benches/slow_movers.py "$out" ${PREVIOUS_OUT:-} > "$out/tables.md"
echo "tables: $out/tables.md"
