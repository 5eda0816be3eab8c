#!/usr/bin/env bash
# Issue 19: the cost of the backorder desk on a large run. Generates the
# 100,000-series sample, writes N open customer order lines over random
# series (inventory `backordered` set to their sums, so both runs plan the
# same backorders), and times `replenish run` with and without
# open_orders.csv, RUNS times each after one untimed run of each,
# alternating which goes first.
#
# Usage: benches/backorder_desk.sh DIR [LINES] [RUNS]
# REPLENISH_BIN: the binary (default: target/release/replenish).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:?usage: benches/backorder_desk.sh DIR [LINES] [RUNS]}"
lines="${2:-300000}"
runs="${3:-3}"
bin="${REPLENISH_BIN:-${CARGO_TARGET_DIR:-target}/release/replenish}"
mkdir -p "$dir"
if [ ! -f "$dir/base/sales.csv" ]; then
  "$bin" sample --skus 50000 --locations 2 --years 3 --seed 1 --out "$dir/base"
fi
mkdir -p "$dir/with" "$dir/without"
python3 - "$dir" "$lines" <<'PY'
import csv, random, sys, os
d, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
with open(os.path.join(d, "base", "inventory.csv")) as f:
    inv = list(csv.reader(f))
header, rows = inv[0], inv[1:]
totals = [0] * len(rows)
with open(os.path.join(d, "with", "open_orders.csv"), "w") as f:
    f.write("order_id,line,customer,sku,location,qty,order_date,requested_date,priority\n")
    for k in range(n):
        i = rng.randrange(len(rows))
        qty = rng.randint(1, 20)
        totals[i] += qty
        day = 1 + rng.randrange(28)
        f.write(f"SO-{k // 3:07d},{k % 3 + 1},CUST-{rng.randrange(5000):04d},{rows[i][0]},{rows[i][1]},{qty},2026-10-{day:02d},,{rng.choice([0, 0, 0, 1, 2])}\n")
for sub in ["with", "without"]:
    with open(os.path.join(d, sub, "inventory.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for r, t in zip(rows, totals):
            r = list(r)
            r[4] = str(t)
            f.write(",".join(r) + "\n")
PY
for sub in with without; do
  for f in sales.csv backorders.csv items.csv purchase_orders.csv events.csv substitutes.csv; do
    ln -sf "$(cd "$dir/base" && pwd)/$f" "$dir/$sub/$f"
  done
done
# One untimed run of each first (the page cache), then the rounds, the
# order alternating so that neither side always runs after the other.
for sub in with without; do
  "$bin" run --quiet --data "$dir/$sub" --out "$dir/out-$sub" > /dev/null
done
for k in $(seq "$runs"); do
  order="with without"; [ $((k % 2)) = 0 ] && order="without with"
  for sub in $order; do
    /usr/bin/time -f "$sub %e s wall, %M KB peak" "$bin" run --quiet --data "$dir/$sub" \
      --out "$dir/out-$sub" 2>&1 | tail -1
  done
done
