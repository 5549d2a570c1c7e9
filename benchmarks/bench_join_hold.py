"""Does Polars' order-keeping left join still hold memory in its result? (RESULTS.md, session 13)

The normaliser spread each by-value field's derived columns over the rows with a lazy left join
(`maintain_order="left"`, `nulls_equal=True`) of 1M rows against the field's few distinct values.
With Polars 2.1 about one such join in five returned a result (two narrow columns, ~18 MB by
`estimated_size`) that kept 1-2 GB resident until it was dropped; that made the 1M xlsx run's peak
vary between 2.1 and 4.9 GB. The normaliser now gathers by each row's place among the distinct values
(`tables.normalise_fields`). Run this after a Polars upgrade: when the join holds no more than the
lookup, the join could come back.

Prints, per way of spreading, the most memory any of `--runs` results held (RSS after the call
minus before, the result still alive). Linux only (reads /proc/self/status).
"""

from __future__ import annotations

import argparse
import random
import time

import polars as pl

LONG = ["国家助学金（中职）", "免学费（全日制学历教育）", "国家助学金 第二学期", None]  # > 12 bytes: not inlined


def rss_mb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=25)
    a = ap.parse_args()
    random.seed(1)
    src = pl.DataFrame({"k": [random.choice(LONG) for _ in range(a.rows)]})
    derived = src.select(pl.col("k").unique()).with_columns(a=pl.col("k").str.replace_all(" ", ""),
                                                            b=pl.col("k").str.len_chars())

    def join() -> pl.DataFrame:
        return (src.lazy().join(derived.lazy(), on="k", how="left", nulls_equal=True, maintain_order="left")
                .drop("k").collect())

    def gather() -> pl.DataFrame:  # what tables.normalise_fields does now
        place = src.get_column("k").replace_strict(derived.get_column("k"), pl.int_range(
            derived.height, dtype=pl.UInt32, eager=True), default=None, return_dtype=pl.UInt32)
        return pl.DataFrame([derived.get_column(c).gather(place) for c in ("a", "b")])

    want = join()
    print(f"Polars {pl.__version__}, {a.rows:,} rows, {a.runs} runs each")
    for name, fn in (("lazy left join, maintain_order=left", join), ("place lookup + gather", gather)):
        worst, secs = 0, 0.0
        for _ in range(a.runs):
            before = rss_mb()
            t = time.perf_counter()
            out = fn()
            secs += time.perf_counter() - t
            worst = max(worst, rss_mb() - before)
            assert out.equals(want, null_equal=True)
            del out
        print(f"  {name:38s} most held {worst:6,} MB   mean {secs / a.runs * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
