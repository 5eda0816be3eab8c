#!/usr/bin/env python3
"""Per-model statsforecast timings for the replenish models that the peers'
harness (../shared/peers/peer_forecast.py) does not run itself: the standard
Theta (replenish's `theta`; the harness runs AutoTheta, which fits four theta
variants), SES and damped Holt as ETS(A,N,N) / ETS(A,Ad,N) by maximum
likelihood (replenish's `ses`, `holt_damped`), the moving average
(`moving_average`, window 8).

Same data preparation and timing as peer_forecast.py: series shorter than
h + MIN_TRAIN dropped, the last h points held out, one untimed warm-up call on
the first series, then the wall clock of
`StatsForecast([model], freq, n_jobs=1).forecast(h, df=train)`, min over
--repeats.

Usage (from the repository root, with the peers' venv):
  PYTHON benches/sf_models.py PEERS_DIR DATA.csv --h 18 --season-length 12 [--repeats 1]
Prints one line per model: name, seconds.
"""
import argparse
import os
import sys
import time
import warnings


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("peers")
    ap.add_argument("csv")
    ap.add_argument("--h", type=int, required=True)
    ap.add_argument("--season-length", type=int, required=True)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--min-train", type=int, default=2)
    ap.add_argument("--models", default=None, help="comma list subset")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    sys.path.insert(0, os.path.abspath(args.peers))
    from peer_forecast import infer_freq, load, split  # noqa: E402
    from statsforecast import StatsForecast
    from statsforecast import models as m

    M = args.season_length
    specs = {
        "Theta": lambda: m.Theta(season_length=M),
        "ETS_ANN": lambda: m.AutoETS(model="ANN", alias="ETS_ANN"),
        "ETS_AAdN": lambda: m.AutoETS(model="AAN", damped=True, alias="ETS_AAdN"),
        "WindowAverage8": lambda: m.WindowAverage(window_size=8, alias="WindowAverage8"),
    }
    if args.models:
        specs = {k: v for k, v in specs.items() if k in args.models.split(",")}
    df, kind = load(args.csv)
    freq = infer_freq(df, kind)
    sizes = df.groupby("unique_id", sort=False).size()
    df = df[df["unique_id"].isin(sizes[sizes >= args.h + args.min_train].index)].reset_index(drop=True)
    train, _ = split(df, args.h)
    warm = train[train["unique_id"] == train["unique_id"].iloc[0]]
    print(f"# {os.path.basename(args.csv)} h={args.h} m={M} series={train['unique_id'].nunique()}")
    for name, make in specs.items():
        StatsForecast(models=[make()], freq=freq, n_jobs=1).forecast(h=args.h, df=warm)
        times = []
        for _ in range(max(1, args.repeats)):
            sf = StatsForecast(models=[make()], freq=freq, n_jobs=1)
            t0 = time.perf_counter()
            sf.forecast(h=args.h, df=train)
            times.append(time.perf_counter() - t0)
        print(f"{name} {min(times):.3f}", flush=True)


if __name__ == "__main__":
    main()
