"""Benchmark out-of-core estimation from Parquet (issue 13): 10M, 100M and, on request, 1B rows.

Generates a balanced staggered panel (units x 10 periods, five adoption
cohorts and ~30% never-treated units, effects growing with exposure, 50
regions as clusters) straight to Parquet in bounded memory: chunks of units
written as separate files, each in row groups of one million rows, so the
generator never holds more than one chunk. Then times, each in its own child
process (peak resident memory from ``resource.getrusage`` of that process,
which includes imports, DuckDB's buffers and the loaded data):

- ``impact out-of-core``: ``callaway_santanna("dir/*.parquet", ...)``
  (DuckDB scan, analytic standard errors), plus the TWFE event study from
  the same files;
- at 10M rows, for the ratio, ``impact in-memory`` and ``diff-diff`` 3.13
  (``pd.read_parquet`` then the fit; both timings, read included and fit
  alone, are reported).

Usage::

    .venv/bin/python benchmarks/scale.py                  # 10M and 100M rows
    .venv/bin/python benchmarks/scale.py --rows 10M
    .venv/bin/python benchmarks/scale.py --rows 1B --memory-limit 4GB --keep

The data go to ``benchmarks/out/`` (git-ignored) and are deleted afterwards
unless ``--keep``. 100M rows take about 1.6 GB of disk, 1B rows about 16 GB
(plus DuckDB's spill files in ``--spill``). On a shared machine the timings
are noisy: run it when the cores are idle, and compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from _child import run_child  # benchmarks/ is on sys.path when a script runs

N_PERIODS = 10
ROW_GROUP = 1_000_000
CHUNK_ROWS = 20_000_000
OUT = Path(__file__).resolve().parent / "out"
SIZES = {"10M": 10_000_000, "100M": 100_000_000, "1B": 1_000_000_000}


def generate(rows: int, folder: Path, seed: int = 20240501) -> Path:
    """Write ``rows`` rows (rows / 10 units x 10 periods) as Parquet files in ``folder``; bounded memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    n_units = rows // N_PERIODS
    per_chunk = CHUNK_ROWS // N_PERIODS
    years = np.arange(2010, 2010 + N_PERIODS, dtype=np.int64)
    seq = np.random.SeedSequence(seed)
    for part, first in enumerate(range(0, n_units, per_chunk)):
        rng = np.random.default_rng(seq.spawn(1)[0])
        m = min(per_chunk, n_units - first)
        cohort = rng.choice(np.array([2014, 2015, 2016, 2017, 2018, 0]), size=m, p=[0.14] * 5 + [0.30])
        unit = np.repeat(np.arange(first, first + m, dtype=np.int64), N_PERIODS)
        year = np.tile(years, m)
        g = np.repeat(cohort, N_PERIODS)
        exposure = np.where((g > 0) & (year >= g), year - g + 1, 0)
        y = (np.repeat(rng.normal(0, 1, m), N_PERIODS) + 0.1 * (year - 2010) + 0.5 * exposure * (1 + (g == 2014))
             + rng.normal(0, 1, m * N_PERIODS))
        region = np.repeat((np.arange(first, first + m) * 2654435761 % 50).astype(np.int32), N_PERIODS)
        table = pa.table({"unit": unit, "year": year, "first_treat": g, "y": y, "region": region})
        pq.write_table(table, folder / f"part-{part:04d}.parquet", row_group_size=ROW_GROUP)
        del table, unit, year, g, exposure, y, region
    return folder


def child(task: str, glob: str, memory_limit: str, spill: str) -> dict:
    """Run one task in this (child) process; report wall time, peak RSS and the headline estimate."""
    import resource
    import warnings

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    fit = None
    if task in ("ooc", "ooc-es"):
        from impact.did import callaway_santanna, event_study
        from impact.scale import source

        src = source(glob, memory_limit=memory_limit, temp_directory=spill, progress=False)
        if task == "ooc":
            est = callaway_santanna(src, "y", "unit", "year", "first_treat", method="reg", n_boot=0).estimate
        else:
            est = event_study(src, "y", "unit", "year", "first_treat").estimate
    else:
        import pandas as pd

        data = pd.read_parquet(glob.rsplit("/", 1)[0], columns=["unit", "year", "first_treat", "y"])
        t_fit = time.perf_counter()
        if task == "memory":
            from impact.did import callaway_santanna

            est = callaway_santanna(data, "y", "unit", "year", "first_treat", method="reg", n_boot=0).estimate
        else:
            from diff_diff import CallawaySantAnna

            est = CallawaySantAnna(estimation_method="reg", n_bootstrap=0).fit(
                data, "y", "unit", "year", "first_treat").overall_att
        fit = time.perf_counter() - t_fit
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU time (all threads) says more than wall time when other processes share the cores.
    return {"seconds": seconds, "fit_seconds": fit, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024, "estimate": float(est)}


def measure(task: str, glob: str, memory_limit: str, spill: str, timeout: float) -> dict:
    return run_child(__file__, [task, "--glob", glob, "--memory-limit", memory_limit, "--spill", spill], timeout)


LABELS = {"ooc": "impact out-of-core CS", "ooc-es": "impact out-of-core event study",
          "memory": "impact in-memory CS", "diff-diff": "diff-diff 3.13 CS"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="10M,100M", help="comma-separated sizes among 10M, 100M, 1B")
    parser.add_argument("--memory-limit", default="", help="DuckDB memory limit (default: 1.5GB up to 100M rows, "
                                                           "3.5GB at 1B)")
    parser.add_argument("--spill", default=str(OUT / "spill"), help="DuckDB spill directory")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--keep", action="store_true", help="keep the generated Parquet files")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--glob", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.glob, args.memory_limit, args.spill)))
        return

    sizes = [s.strip().upper() for s in args.rows.split(",") if s.strip()]
    for s in sizes:
        if s not in SIZES:
            parser.error(f"--rows takes sizes among {', '.join(SIZES)} (got {s!r})")
    print(f"load average {os.getloadavg()[0]:.1f} at start; python {sys.version.split()[0]}, {os.cpu_count()} CPUs; balanced panel, 10 periods, 5 cohorts + never "
          "treated; CS with never-treated controls, method='reg', analytic SEs\n")
    rows_out = []
    for size in sizes:
        rows = SIZES[size]
        limit = args.memory_limit or ("3.5GB" if rows >= 10**9 else "1.5GB")
        folder = OUT / f"panel_{size}"
        t0 = time.perf_counter()
        if not (folder.exists() and any(folder.glob("*.parquet"))):
            generate(rows, folder)
        gen = time.perf_counter() - t0
        disk = sum(f.stat().st_size for f in folder.glob("*.parquet")) / 2**30
        print(f"{size}: data in {folder} ({disk:.2f} GB, generated in {gen:.0f} s); memory_limit={limit}")
        glob = str(folder / "*.parquet")
        tasks = ["ooc", "ooc-es"] + (["memory", "diff-diff"] if rows <= 10**7 else [])
        for task in tasks:
            res = measure(task, glob, limit, args.spill, args.timeout)
            res.update(rows=size, task=LABELS[task])
            rows_out.append(res)
            print("  " + json.dumps(res))
        if not args.keep:
            shutil.rmtree(folder)
    shutil.rmtree(args.spill, ignore_errors=True)

    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    print("\n| rows | tool | wall time (s) | fit alone (s) | CPU time (s) | peak RSS (MB) | ATT |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows_out:
        if "error" in r:
            print(f"| {r['rows']} | {r['task']} | {r['error']} | | | | |")
            continue
        fit = "" if r["fit_seconds"] is None else f"{r['fit_seconds']:.2f}"
        print(f"| {r['rows']} | {r['task']} | {r['seconds']:.2f} | {fit} | {r['cpu_seconds']:.1f} | {r['peak_mb']:.0f} "
              f"| {r['estimate']:.6f} |")
    by = {(r["rows"], r["task"]): r for r in rows_out if "error" not in r}
    ooc = by.get(("10M", LABELS["ooc"]))
    for other in ("memory", "diff-diff"):
        ref = by.get(("10M", LABELS[other]))
        if ooc and ref:
            print(f"\n10M rows: {LABELS[other]} / out-of-core: {ref['seconds'] / ooc['seconds']:.1f}x the wall time "
                  f"and {ref['cpu_seconds'] / ooc['cpu_seconds']:.1f}x the CPU time (read included), "
                  f"{ref['peak_mb'] / ooc['peak_mb']:.1f}x the peak memory; "
                  f"|ATT difference| = {abs(ref['estimate'] - ooc['estimate']):.1e}")
    OUT.mkdir(exist_ok=True)
    (OUT / "scale.json").write_text(json.dumps(rows_out, indent=1))


if __name__ == "__main__":
    main()
