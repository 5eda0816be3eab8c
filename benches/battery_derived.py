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


def summed(out, name, period, months, shortest=0):
    """M3 monthly summed by calendar `period` ("Q", "Y"), whole periods of
    `months` only; series of fewer than `shortest` periods left out."""
    df = pd.read_csv(os.path.join(DATA, "M3_monthly.csv"), dtype={"unique_id": str})
    df["ds"] = pd.to_datetime(df["ds"])
    df["p"] = df["ds"].dt.to_period(period).dt.start_time
    g = df.groupby(["unique_id", "p"], sort=False)["y"].agg(["sum", "size"]).reset_index()
    g = g[g["size"] == months].rename(columns={"p": "ds", "sum": "y"})[["unique_id", "ds", "y"]]
    g = g[g.groupby("unique_id")["y"].transform("size") >= shortest]
    g["ds"] = g["ds"].dt.strftime("%Y-%m-%d")
    g.to_csv(os.path.join(out, f"{name}.csv"), index=False)


def last42(out):
    df = pd.read_csv(os.path.join(DATA, "breadbasket_daily.csv"), dtype={"unique_id": str})
    df = df.groupby("unique_id", sort=False).tail(42)
    df.to_csv(os.path.join(out, "breadbasket_last42.csv"), index=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    summed(sys.argv[1], "M3_quarterly_agg", "Q", 3)
    # statsforecast's AutoETS refused the set with series of 8 years (5 to
    # train on: "tiny datasets"); from 10 years it runs
    summed(sys.argv[1], "M3_yearly_agg", "Y", 12, shortest=10)
    last42(sys.argv[1])
