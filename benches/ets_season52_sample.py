#!/usr/bin/env python3
"""Why replenish's auto_ets trails statsforecast's AutoETS on Walmart weekly
(m = 52): on every 20th series (sorted ids) of a long file, the hold-out MASE of
statsforecast's AutoETS with seasonal models (default, "ZZZ") and without
("ZZN"), beside replenish's auto_ets from the per-series metrics that
../shared/peers/score_forecasts.py wrote for a `replenish forecast` run; and
which components statsforecast picked.

Usage: PYTHON benches/ets_season52_sample.py DATA.csv REPLENISH_series_metrics.csv [--h 13] [--m 52] [--step 20]
"""
import argparse
import collections
import warnings

import numpy as np
import pandas as pd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("replenish_metrics")
    ap.add_argument("--h", type=int, default=13)
    ap.add_argument("--m", type=int, default=52)
    ap.add_argument("--step", type=int, default=20)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    from statsforecast.models import AutoETS

    df = pd.read_csv(args.data, dtype={"unique_id": str})
    rp = pd.read_csv(args.replenish_metrics, dtype={"unique_id": str})
    rp = rp[rp.model == "auto_ets"].set_index("unique_id")
    ids = sorted(set(df.unique_id) & set(rp.index))[:: args.step]
    comps, rows = collections.Counter(), []
    for uid in ids:
        y = df[df.unique_id == uid].y.to_numpy(float)
        train, test = y[: -args.h], y[-args.h :]
        scale = rp.loc[uid, "mase_scale"]
        row = [uid]
        for model in ["ZZZ", "ZZN"]:
            fit = AutoETS(season_length=args.m, model=model).fit(train)
            row.append(np.mean(np.abs(fit.predict(args.h)["mean"] - test)) / scale)
            if model == "ZZZ":
                comps[fit.model_["components"]] += 1
        rows.append(row + [rp.loc[uid, "mase"]])
    t = pd.DataFrame(rows, columns=["unique_id", "sf_ZZZ", "sf_ZZN", "replenish_auto_ets"])
    t = t.replace([np.inf, -np.inf], np.nan).dropna()
    print(f"{len(t)} series (every {args.step}th); mean MASE:")
    print(t[["sf_ZZZ", "sf_ZZN", "replenish_auto_ets"]].mean().round(3).to_string())
    print("statsforecast components:", comps.most_common())


if __name__ == "__main__":
    main()
