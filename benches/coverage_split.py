#!/usr/bin/env python3
"""The p10-p90 coverage of a battery run split by the kind of interval.

For each set of a `battery.py` output folder (NAME_replenish_quantiles.csv),
the held-out values are joined to their intervals and counted by kind:

* `[0, 0]`: p90 is 0, so the forecast puts at least 90 % on zero demand; such
  an interval covers exactly the held-out zeros, and a forecast that is right
  about them covers at least 90 % there, whatever the calibration;
* `[0, x]`: p10 is 0 (at least 10 % on zero), nothing can fall below;
* `[x, y]`: both ends positive.

It prints, per kind, the points, their coverage, the share of zeros among
them and the shares below p10 and above p90; then the coverage of all
points and of the points outside `[0, 0]`.

Usage: coverage_split.py BATTERY_OUT_DIR [SET ...]
(BATTERY_DATA points it at the sets' folder, as for battery.py.)
"""
import glob
import os
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("BATTERY_DATA") or os.path.normpath(
    os.path.join(HERE, "..", "..", "shared", "datasets"))


def kind(row):
    if row.p90 == 0:
        return "[0, 0]"
    return "[0, x]" if row.p10 == 0 else "[x, y]"


def split(out_dir, name):
    q = pd.read_csv(os.path.join(out_dir, f"{name}_replenish_quantiles.csv"),
                    dtype={"unique_id": str, "ds": str})
    y = pd.read_csv(os.path.join(DATA, f"{name}.csv"), dtype={"unique_id": str, "ds": str})
    ev = q.merge(y[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="inner")
    ev["kind"] = ev.apply(kind, axis=1)
    ev["covered"] = (ev.y >= ev.p10) & (ev.y <= ev.p90)
    rows = []
    for k, g in ev.groupby("kind"):
        rows.append((name, k, len(g), 100 * g.covered.mean(), 100 * (g.y == 0).mean(),
                     100 * (g.y < g.p10).mean(), 100 * (g.y > g.p90).mean()))
    rest = ev[ev.kind != "[0, 0]"]
    rows.append((name, "all", len(ev), 100 * ev.covered.mean(), 100 * (ev.y == 0).mean(),
                 100 * (ev.y < ev.p10).mean(), 100 * (ev.y > ev.p90).mean()))
    rows.append((name, "all but [0, 0]", len(rest), 100 * rest.covered.mean(),
                 100 * (rest.y == 0).mean(), 100 * (rest.y < rest.p10).mean(),
                 100 * (rest.y > rest.p90).mean()))
    return rows


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    names = sys.argv[2:] or sorted(
        os.path.basename(p)[:-len("_replenish_quantiles.csv")]
        for p in glob.glob(os.path.join(out_dir, "*_replenish_quantiles.csv")))
    print("| set | interval | points | coverage % | zeros % | below p10 % | above p90 % |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        for r in split(out_dir, name):
            print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.1f} |")


if __name__ == "__main__":
    main()
