#!/usr/bin/env bash
# Accuracy of the global model (issue 7): the hold-out of each data set forecast
# with `[forecast.global] enabled = false` and `= true`, scored by the peers'
# scorer (../shared/peers/score_forecasts.py). Prints MASE / RMSSE of the
# selection without and with the global model, each without and with the
# selection prior (`[forecast] selection_prior_series` 0 and 2000), and of
# each global fit alone.
#
# Usage: benches/global_accuracy.sh OUT_DIR [DATASET ...]
#   DATASET: stallion_folder (stallion.parquet as an input folder with prices
#   and holidays, made by benches/stallion_to_folder.py) or the name of a long
#   CSV in ../shared/datasets (stallion, M3_monthly, real_monthly,
#   uci_sales_transactions_weekly, synth_intermittent, walmart_store_dept_weekly).
#   PYTHON: an interpreter with pandas and pyarrow (default python3);
#   REPLENISH_BIN: the binary (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mkdir -p "$1" && cd "$1" && pwd)"; shift
datasets="${*:-stallion_folder stallion M3_monthly real_monthly uci_sales_transactions_weekly synth_intermittent walmart_store_dept_weekly}"
python="${PYTHON:-python3}"
data_dir="$(cd ../shared/datasets && pwd)"
scorer="$(cd ../shared/peers && pwd)/score_forecasts.py"
bin="${REPLENISH_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/replenish"
fi
for name in $datasets; do
  case "$name" in
    M3_monthly) h=18; m=12 ;;
    real_monthly|stallion|stallion_folder) h=12; m=12 ;;
    walmart_store_dept_weekly) h=13; m=52 ;;
    *) h=13; m=1 ;;
  esac
  input="$data_dir/$name.csv"; actuals="$input"; extra=""
  if [ "$name" = stallion_folder ]; then
    input="$out/stallion_folder"; actuals="$data_dir/stallion.csv"
    "$python" benches/stallion_to_folder.py "$data_dir/stallion.parquet" "$input" > /dev/null
    extra=$'[run]\nbucket = "month"\nas_of = "2018-01-01"\n'
  fi
  for mode in false true; do
    for prior in 0 2000; do
      run="$name-global-$mode-prior-$prior"
      printf '%s[forecast]\nselection_prior_series = %s\n[forecast.global]\nenabled = %s\n' \
        "$extra" "$prior" "$mode" > "$out/$run.toml"
      line=$("$bin" forecast --input "$input" --h "$h" --season-length "$m" --threads 2 \
          --config "$out/$run.toml" --out "$out/$run.csv" | grep 'series forecast')
      "$python" "$scorer" "$actuals" "$out/$run.csv" --h "$h" --season-length "$m" \
          --tool replenish --out-prefix "$out/$run" > "$out/$run.txt" 2>&1
      sel=$(grep -E '^replenish ' "$out/$run.txt" | awk '{print $4 " / " $5}')
      echo "$name global=$mode prior=$prior: selection MASE/RMSSE $sel; $line"
    done
    if [ "$mode" = true ]; then
      grep -E '^global_' "$out/$run.txt" | awk -v n="$name" '{print n ": " $1 " alone " $4 " / " $5 " (bias " $6 " %)"}' \
        || echo "$name: global model not fitted (fewer series than it needs)"
    fi
  done
done
