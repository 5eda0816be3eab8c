#!/usr/bin/env bash
# `replenish simulate` on the real data sets of ../shared/datasets (long files
# unique_id,ds,y): each becomes a sales file mapped with [columns.sales], with
# config defaults for everything the data lacks (lead time 28 days, review 7
# days, no unit costs: inventory in units, no item master: no min/max rule).
#
# Usage: benches/simulate_real.sh [OUT_DIR] [DATASET:BUCKET ...]
# Default: stallion:month uci_sales_transactions_weekly:week synth_intermittent:week
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/replenish-simulate-real}"; shift || true
sets="${*:-stallion:month uci_sales_transactions_weekly:week synth_intermittent:week}"
data_dir="$(cd ../shared/datasets && pwd)"
# REPLENISH_BIN: an already built binary (default: build the release one).
if [ -z "${REPLENISH_BIN:-}" ]; then cargo build --release --quiet; fi
bin="${REPLENISH_BIN:-${CARGO_TARGET_DIR:-target}/release/replenish}"
mkdir -p "$out"
for spec in $sets; do
  name="${spec%%:*}"; bucket="${spec##*:}"
  mkdir -p "$out/$name/data"
  ln -sf "$data_dir/$name.csv" "$out/$name/data/sales.csv"
  cat > "$out/$name/config.toml" <<TOML
[run]
bucket = "$bucket"
[columns.sales]
sku = "unique_id"
date = "ds"
qty = "y"
TOML
  echo "== $name ($bucket)"
  /usr/bin/time -f "%e s wall, %M KB peak" "$bin" simulate --config "$out/$name/config.toml" \
      --data "$out/$name/data" --out "$out/$name/reports"
done
