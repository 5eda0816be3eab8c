#!/usr/bin/env python3
"""The held-out battery: replenish's selection beside its own candidates and
statsforecast on every shared data set, in one table.

For each set of benches/battery_sets.txt (name, horizon, season length) the
last H points of every series are held out; `replenish forecast --threads 1`
forecasts them (the selection in column `replenish`, every candidate alone in
the others, p10-p90 in *_quantiles.csv), the peers' own scorer scores every
column with statsforecast's metrics, and the table compares:

* the selection's MASE and RMSSE with the best single candidate's (each
  candidate alone on every series; its gap in %),
* the best statsforecast model (from PEERS/out/NAME_py_results.json, made by
  peer_forecast.py; the set is marked "-" when it is missing), and the
  selection beside it on the same series (a statsforecast model that fails
  on some series, e.g. SeasonalNaive on series shorter than a season, is
  scored on the others only),
* the p10-p90 coverage of the hold-out,
* the seconds of the whole replenish selection against statsforecast's
  AutoETS alone, both on one thread.

Usage: battery.py BINARY PEERS_DIR OUT_DIR [SET ...]
(BATTERY_DATA and BATTERY_SETS point it at other sets, e.g. those of
battery_derived.py.)
"""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("BATTERY_DATA") or os.path.normpath(
    os.path.join(HERE, "..", "..", "shared", "datasets"))
SETS = os.environ.get("BATTERY_SETS") or os.path.join(HERE, "battery_sets.txt")


def sets(wanted):
    out = []
    with open(SETS) as fh:
        for line in fh:
            parts = line.split("#")[0].split()
            if len(parts) == 3 and (not wanted or parts[0] in wanted):
                out.append((parts[0], int(parts[1]), int(parts[2])))
    return out


def run_replenish(binary, name, h, m, out_dir, extra):
    fc = os.path.join(out_dir, f"{name}_replenish.csv")
    cmd = [binary, "forecast", "--input", os.path.join(DATA, f"{name}.csv"), "--h", str(h),
           "--season-length", str(m), "--out", fc, "--threads", "1"] + extra
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    first = text.splitlines()[0]
    secs = float(first.split(" in ")[1].split(" s")[0])
    coverage = float(first.split("coverage of the hold-out ")[1].split(" %")[0])
    return fc, secs, coverage, text


def score_all(peers, name, h, m, fc):
    sys.path.insert(0, peers)
    from peer_forecast import load, mase_scale, rmsse_scale, score, split  # noqa: E402

    df, kind = load(os.path.join(DATA, f"{name}.csv"))
    sizes = df.groupby("unique_id", sort=False).size()
    df = df[df["unique_id"].isin(sizes[sizes >= h + 2].index)].reset_index(drop=True)
    train, test = split(df, h)
    sc = []
    for uid, g in train.groupby("unique_id", sort=False):
        s, lag = mase_scale(g["y"].to_numpy(), m)
        sc.append((uid, s, lag, rmsse_scale(g["y"].to_numpy())))
    scales = pd.DataFrame(sc, columns=["unique_id", "mase_scale", "mase_lag", "rmsse_scale"])
    scales = scales.set_index("unique_id")
    f = pd.read_csv(fc, dtype={"unique_id": str})
    f["ds"] = f["ds"].astype("int64") if kind == "int" else pd.to_datetime(f["ds"])
    models = [c for c in f.columns if c not in ("unique_id", "ds", "y")]
    ev = test.merge(f[["unique_id", "ds"] + models], on=["unique_id", "ds"], how="left")
    scored = {mo: score(ev, mo, scales) for mo in models}
    return {mo: r[0] for mo, r in scored.items()}, scored["replenish"][1]


def peers_of(peers, name):
    """statsforecast's results and its per-series metrics (None when missing)."""
    path = os.path.join(peers, "out", f"{name}_py_results.json")
    if not os.path.exists(path):
        return None, None
    with open(path) as fh:
        models = json.load(fh)["models"]
    per = os.path.join(peers, "out", f"{name}_py_series_metrics.csv")
    per = pd.read_csv(per, dtype={"unique_id": str}) if os.path.exists(per) else None
    return models, per


def on_same_series(ours, theirs, model, key):
    """The selection's mean `key` over the series where statsforecast's
    `model` has one (a model that fails on some series is scored on the
    others only), and that model's."""
    if theirs is None:
        return float("nan"), float("nan")
    t = theirs[theirs["model"] == model].set_index("unique_id")[key].dropna()
    o = ours.set_index("unique_id")[key].dropna()
    common = t.index.intersection(o.index)
    return o[common].mean(), t[common].mean()


def best(results, key, skip=()):
    ok = [(v[key], k) for k, v in results.items()
          if k not in skip and v.get(key) is not None and np.isfinite(v[key])]
    return min(ok) if ok else (float("nan"), "-")


def markdown(table):
    cell = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for _, r in table.iterrows():
        lines.append("| " + " | ".join(cell(v) for v in r) + " |")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    binary, peers, out_dir = sys.argv[1:4]
    extra = os.environ.get("REPLENISH_ARGS", "").split()
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for name, h, m in sets(sys.argv[4:]):
        fc, secs, coverage, text = run_replenish(binary, name, h, m, out_dir, extra)
        with open(os.path.join(out_dir, f"{name}_replenish.log"), "w") as fh:
            fh.write(text)
        ours, per_series = score_all(peers, name, h, m, fc)
        sel = ours["replenish"]
        b_mase = best(ours, "mase", skip=("replenish",))
        b_rmsse = best(ours, "rmsse", skip=("replenish",))
        sf, sf_series = peers_of(peers, name)
        if sf:
            sf_mase = best(sf, "mase")
            sf_rmsse = best(sf, "rmsse")
            ets = (sf.get("AutoETS", {}).get("seconds") or {}).get("n_jobs=1")
        else:
            sf_mase = sf_rmsse = (float("nan"), "-")
            ets = None
        same_mase = on_same_series(per_series, sf_series, sf_mase[1], "mase")
        same_rmsse = on_same_series(per_series, sf_series, sf_rmsse[1], "rmsse")
        rows.append({
            "set": name, "h": h, "m": m,
            "MASE": sel["mase"], "best single MASE": f"{b_mase[1]} {b_mase[0]:.3f}",
            "gap MASE %": 100 * (sel["mase"] / b_mase[0] - 1),
            "RMSSE": sel["rmsse"], "best single RMSSE": f"{b_rmsse[1]} {b_rmsse[0]:.3f}",
            "gap RMSSE %": 100 * (sel["rmsse"] / b_rmsse[0] - 1),
            "statsforecast MASE": f"{sf_mase[1]} {sf_mase[0]:.3f}",
            "statsforecast RMSSE": f"{sf_rmsse[1]} {sf_rmsse[0]:.3f}",
            "ours / theirs, same series, MASE": f"{same_mase[0]:.3f} / {same_mase[1]:.3f}",
            "ours / theirs, same series, RMSSE": f"{same_rmsse[0]:.3f} / {same_rmsse[1]:.3f}",
            "p10-p90 %": coverage,
            "s": secs,
            "AutoETS s": ets if ets is not None else float("nan"),
            "AutoETS / ours": (ets / secs) if ets else float("nan"),
        })
        print(f"{name}: selection MASE {sel['mase']:.3f} RMSSE {sel['rmsse']:.3f}, "
              f"coverage {coverage:.1f} %, {secs:.2f} s", file=sys.stderr)
    table = pd.DataFrame(rows)
    with open(os.path.join(out_dir, "battery.md"), "w") as fh:
        fh.write(markdown(table))
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
