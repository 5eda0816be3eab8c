#!/usr/bin/env python3
"""Stand-ins for held-out sets the shared data lacks, derived from it:

* M3_quarterly_agg: M3 monthly summed by calendar quarter (whole quarters
  only): short quarterly business series (h 8, m 4);
* M3_yearly_agg: M3 monthly summed by calendar year (whole years only):
  short yearly business series of 10 to 12 years (h 3, m 1);
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


def yearly(out):
    df = pd.read_csv(os.path.join(DATA, "M3_monthly.csv"), dtype={"unique_id": str})
    df["ds"] = pd.to_datetime(df["ds"])
    df["year"] = df["ds"].dt.to_period("Y").dt.start_time
    g = df.groupby(["unique_id", "year"], sort=False)["y"].agg(["sum", "size"]).reset_index()
    g = g[g["size"] == 12].rename(columns={"year": "ds", "sum": "y"})[["unique_id", "ds", "y"]]
    # statsforecast's AutoETS and AutoTheta refuse a set with any series
    # of fewer than 5 training years ("tiny datasets")
    g = g[g.groupby("unique_id")["y"].transform("size") >= 10]
    g["ds"] = g["ds"].dt.strftime("%Y-%m-%d")
    g.to_csv(os.path.join(out, "M3_yearly_agg.csv"), index=False)


def last42(out):
    df = pd.read_csv(os.path.join(DATA, "breadbasket_daily.csv"), dtype={"unique_id": str})
    df = df.groupby("unique_id", sort=False).tail(42)
    df.to_csv(os.path.join(out, "breadbasket_last42.csv"), index=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    quarterly(sys.argv[1])
    yearly(sys.argv[1])
    last42(sys.argv[1])
