"""Stallion (../shared/datasets/stallion.parquet) as a `replenish run` input folder.

sales.csv: sku = "Agency|SKU" (the unique_id of stallion.csv, so the peers'
scorer matches), date = month start, qty = volume, price = price_actual (empty
where it is 0: no sale), promo = 0 (the discount is in the price).
events.csv: one global event per month and holiday column set to 1 (the same
for every agency in this data).

usage: python stallion_to_folder.py STALLION.parquet OUT_DIR
"""
import os
import sys

import pandas as pd

HOLIDAYS = ["easter_day", "good_friday", "new_year", "christmas", "labor_day",
            "independence_day", "revolution_day_memorial", "regional_games",
            "fifa_u_17_world_cup", "football_gold_cup", "beer_capital", "music_fest"]

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
d = pd.read_parquet(src)
sales = pd.DataFrame({
    "sku": d["agency"].astype(str) + "|" + d["sku"].astype(str),
    "date": d["date"].dt.strftime("%Y-%m-%d"),
    "qty": d["volume"].round(4),
    "price": d["price_actual"].where(d["price_actual"] > 0).round(4),
    "promo": 0,
}).sort_values(["sku", "date"])
sales.to_csv(os.path.join(out, "sales.csv"), index=False)
months = d.groupby("date")[HOLIDAYS].max()
rows = [(date.strftime("%Y-%m-%d"), h) for date, r in months.iterrows() for h in HOLIDAYS if r[h] > 0]
pd.DataFrame(rows, columns=["date", "name"]).to_csv(os.path.join(out, "events.csv"), index=False)
print(f"{len(sales)} sales rows, {len(rows)} events -> {out}")
