#!/usr/bin/env python3
"""Tables of benches/slow_movers.sh: per data set, the fill rate replenish
achieved at uniform targets (by ABC class), and the mean inventory each policy
needs for the same achieved fill rate, interpolated on its own curve.

Usage: benches/slow_movers.py OUT_DIR [PREVIOUS_OUT_DIR]
PREVIOUS_OUT_DIR: the same script's output from another binary (the previous
version); its `replenish_at_target` curve is shown beside this one.
Standard library only.
"""
import csv
import glob
import os
import sys

TARGETS = [0.90, 0.95, 0.98]


def summary(out, name):
    files = sorted(glob.glob(os.path.join(out, name, "reports", "*-simulation", "simulation_summary.csv")))
    if not files:
        return None
    with open(files[-1], newline="") as f:
        return list(csv.DictReader(f))


def num(x):
    return float(x) if x not in (None, "") else None


def curve(rows, policy, abc="all", key="target"):
    """(fill rate, inventory, parameter) points of one policy's curve."""
    pts = []
    for r in rows:
        if r["policy"] == policy and r["abc"] == abc:
            inv = num(r["mean_on_hand_value"]) or 0.0
            if inv == 0.0:
                inv = num(r["mean_on_hand"])
            pts.append((num(r["fill_rate"]), inv, num(r.get(key))))
    return sorted(pts, key=lambda p: (p[2] if p[2] is not None else 0.0))


def at_fill(points, f):
    """Inventory at fill rate f, linear between the two curve points around it."""
    pts = sorted(points, key=lambda p: p[0])
    for (f0, i0, _), (f1, i1, _) in zip(pts, pts[1:]):
        if f0 <= f <= f1:
            return i0 if f1 == f0 else i0 + (i1 - i0) * (f - f0) / (f1 - f0)
    return None


def fmt_inv(x, ref=None):
    if x is None:
        return "—"
    s = f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"
    if ref:
        s += f" ({100 * (x / ref - 1):+.0f} %)"
    return s


def main():
    out = sys.argv[1]
    prev = sys.argv[2] if len(sys.argv) > 2 else None
    for name in sorted(n for n in os.listdir(out) if os.path.isdir(os.path.join(out, n))):
        rows = summary(out, name)
        if rows is None:
            continue
        prev_rows = summary(prev, name) if prev else None
        classes = sorted({r["abc"] for r in rows if r["abc"] != "all"}) + ["all"]
        print(f"\n### {name}\n")
        print("Achieved fill rate at uniform targets (`replenish_at_target`), by ABC class"
              + (" — this version / previous" if prev_rows else "") + ":\n")
        print("| target | " + " | ".join(classes) + " |")
        print("|---|" + "---|" * len(classes))
        for t in TARGETS:
            cells = []
            for c in classes:
                def get(rs):
                    for r in rs or []:
                        if r["policy"] == "replenish_at_target" and r["abc"] == c and abs(num(r["target"]) - t) < 1e-9:
                            return num(r["fill_rate"])
                    return None
                a, b = get(rows), get(prev_rows)
                cell = f"{100 * a:.1f} %" if a is not None else "—"
                if prev_rows:
                    cell += f" / {100 * b:.1f} %" if b is not None else " / —"
                cells.append(cell)
            print(f"| {100 * t:.0f} % | " + " | ".join(cells) + " |")
        conf = [r for r in rows if r["policy"] == "replenish"]
        if conf:
            print("\nAt the configured targets (`replenish`): "
                  + ", ".join(f"{r['abc']} {100 * num(r['fill_rate']):.1f} % (target {100 * num(r['target']):.1f} %)"
                              for r in conf if r.get("target")))
        curves = [("this version", curve(rows, "replenish_at_target"))]
        if prev_rows:
            curves.append(("previous", curve(prev_rows, "replenish_at_target")))
        curves.append(("this version, ordering every review", curve(rows, "replenish_at_target_every_review")))
        if prev_rows:
            curves.append(("previous, every review", curve(prev_rows, "replenish_at_target_every_review")))
        curves.append(("Poisson on 12-bucket mean", curve(rows, "poisson_mean_at_target")))
        curves.append(("weeks of sales cover", curve(rows, "sales_cover_curve", key="cover_weeks")))
        print("\nMean inventory for the same achieved fill rate (all series; % against this version):\n")
        print("| achieved fill rate | " + " | ".join(n for n, _ in curves) + " |")
        print("|---|" + "---|" * len(curves))
        for t in TARGETS:
            ref = at_fill(curves[0][1], t)
            cells = [fmt_inv(at_fill(c, t), ref if i else None) for i, (_, c) in enumerate(curves)]
            print(f"| {100 * t:.0f} % | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
