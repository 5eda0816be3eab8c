#!/usr/bin/env bash
# Side-by-side accuracy with the peers (../shared/peers): replenish forecasts the
# hold-out of each real data set, the peers' scorer scores it with the same
# metrics as statsforecast, and compare.py prints the table.
#
# Usage: benches/peers.sh PEERS_DIR [DATASET ...]
#   PEERS_DIR: a writable copy of ../shared/peers whose out/ already holds the
#   statsforecast results (peer_forecast.py) and whose venv has its packages
#   (see ../shared/peers/README.md); PYTHON overrides the interpreter.
# Default data sets: real_monthly M3_monthly stallion synth_intermittent uci_sales_transactions_weekly
set -euo pipefail
cd "$(dirname "$0")/.."
peers="$(cd "$1" && pwd)"; shift
python="${PYTHON:-$peers/venv/bin/python}"
datasets="${*:-real_monthly M3_monthly stallion synth_intermittent uci_sales_transactions_weekly}"
data_dir="$(cd ../shared/datasets && pwd)"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/replenish"
for name in $datasets; do
  case "$name" in
    M3_monthly) h=18; m=12 ;;
    real_monthly|stallion) h=12; m=12 ;;
    walmart_store_dept_weekly) h=13; m=52 ;;
    *) h=13; m=1 ;;
  esac
  out="$peers/out/${name}_replenish.csv"
  line=$("$bin" forecast --input "$data_dir/$name.csv" --h "$h" --season-length "$m" --out "$out" --threads 1 | head -1)
  echo "$name: $line"
  secs=$(echo "$line" | sed -E 's/.* in ([0-9.]+) s;.*/\1/')
  "$python" "$peers/score_forecasts.py" "$data_dir/$name.csv" "$out" --h "$h" --season-length "$m" \
      --tool replenish --out-prefix "$peers/out/$name" --seconds "replenish=$secs" > /dev/null
  "$python" "$peers/compare.py" "$peers/out/$name" > "$peers/out/${name}_compare.md" 2>&1 || true
done
