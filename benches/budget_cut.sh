#!/usr/bin/env bash
# Issue 20: what a budget costs in the replay. `replenish simulate` on a data
# folder (default: the sample) without a budget, then with each budget per
# review day, cut by marginal analysis and in proportion; prints one table
# row per run from simulation_summary.csv (all series, the configured
# policy under the purchasing rules).
#
# Usage: benches/budget_cut.sh OUT_DIR [BUDGET ...]
# REPLENISH_BIN: the binary (default: build the release one). DATA: the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: benches/budget_cut.sh OUT_DIR [BUDGET ...]}"; shift
budgets="${*:-500000 300000}"
data="${DATA:-data/sample}"
if [ -z "${REPLENISH_BIN:-}" ]; then cargo build --release --quiet; fi
bin="${REPLENISH_BIN:-${CARGO_TARGET_DIR:-target}/release/replenish}"
mkdir -p "$out"
echo "| budget per review | cut | fill rate | units short | backorder unit-days | mean inventory | orders |"
echo "|---|---|---|---|---|---|---|"
row() { # name budget cut
  local dir="$out/$1"
  mkdir -p "$dir"
  if [ "$2" = none ]; then : > "$dir/config.toml"; else
    printf '[purchasing]\nbudget = %s\nbudget_cut = "%s"\n' "$2" "$3" > "$dir/config.toml"; fi
  "$bin" simulate --quiet --config "$dir/config.toml" --data "$data" --out "$dir/reports" > /dev/null
  python3 - "$dir" "$2" "$3" <<'PY'
import csv, glob, sys
d, budget, cut = sys.argv[1:4]
path = glob.glob(f"{d}/reports/*-simulation/simulation_summary.csv")[0]
r = next(r for r in csv.DictReader(open(path)) if r["policy"] == "replenish" and r["abc"] == "all")
value = float(r["mean_on_hand_value"]) or float(r["mean_on_hand"])
print(f"| {budget} | {cut} | {100*float(r['fill_rate']):.1f} % | {float(r['short_units']):,.0f} "
      f"| {float(r['backorder_unit_days']):,.0f} | {value:,.0f} | {r['orders']} |")
PY
}
row none none -
for b in $budgets; do
  for cut in marginal proportional; do row "$b-$cut" "$b" "$cut"; done
done
