#!/usr/bin/env python3
"""Stand-ins for held-out sets the shared data lacks, derived from it:

* M3_quarterly_agg: M3 monthly summed by calendar quarter (whole quarters
  only): short quarterly business series (h 8, m 4);
* breadbasket_last42: the last 42 days of each breadbasket series: a short
  daily retail set with six weeks of history (h 7, m 7).

Usage: battery_derived.py OUT_DIR   (then BATTERY_DATA=OUT_DIR
BATTERY_SETS=benches/battery_derived_sets.txt battery.py ...)
"""
import os
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "datasets"))


def quarterly(out):
    df = pd.read_csv(os.path.join(DATA, "M3_monthly.csv"), dtype={"unique_id": str})
    df["ds"] = pd.to_datetime(df["ds"])
    df["q"] = df["ds"].dt.to_period("Q").dt.start_time
    g = df.groupby(["unique_id", "q"], sort=False)["y"].agg(["sum", "size"]).reset_index()
    g = g[g["size"] == 3].rename(columns={"q": "ds", "sum": "y"})[["unique_id", "ds", "y"]]
    g["ds"] = g["ds"].dt.strftime("%Y-%m-%d")
    g.to_csv(os.path.join(out, "M3_quarterly_agg.csv"), index=False)


def last42(out):
    df = pd.read_csv(os.path.join(DATA, "breadbasket_daily.csv"), dtype={"unique_id": str})
    df = df.groupby("unique_id", sort=False).tail(42)
    df.to_csv(os.path.join(out, "breadbasket_last42.csv"), index=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    quarterly(sys.argv[1])
    last42(sys.argv[1])
