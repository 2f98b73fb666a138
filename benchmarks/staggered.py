"""Benchmark Callaway-Sant'Anna: impact vs diff-diff 3.13 vs moderndid on one staggered panel.

Generates a balanced staggered panel (units x 10 periods, five adoption
cohorts and never-treated units, effects that grow with exposure), saves it
once, then times each tool on the same file: group-time ATTs with
never-treated controls and no covariates, (a) with analytic standard errors
and (b) with 999 multiplier-bootstrap draws (Rademacher weights for impact and
diff-diff, diff-diff's default; moderndid only offers Mammen's, R did's).

Each tool runs in ``--processes`` fresh subprocesses (default 3; moderndid
one), each of which reads the file, imports the tool (not timed) and times
``--repeat`` estimation calls (default 3; moderndid one): wall time of the
call alone. The table gives the *first call*, the fastest over the fresh
processes (it pays what a first call pays: lazy imports inside the call,
first use of memory), and the *fastest call* over every call (warm). Peak
resident memory is ``resource.getrusage`` of the child (data and imports
included), the largest over its processes.

Usage::

    .venv/bin/python benchmarks/staggered.py                 # 1M rows (100,000 units x 10 periods)
    .venv/bin/python benchmarks/staggered.py --rows 10M      # 10M rows
    .venv/bin/python benchmarks/staggered.py --tools impact --rows 10M
    .venv/bin/python benchmarks/staggered.py --shuffle        # rows in random order (no sorted-panel shortcut)

Leave OPENBLAS_CORETYPE and thread settings as the machine has them; every
tool runs under the same environment.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _child import run_child  # benchmarks/ is on sys.path when a script runs

N_PERIODS = 10
TOOLS = ("impact", "diff-diff", "moderndid")


def make_panel(n_units: int, seed: int = 20240501) -> pd.DataFrame:
    """Balanced panel: cohorts 2014..2018 (each ~14% of units) and ~30% never treated, periods 2010..2019."""
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2010 + N_PERIODS)
    cohort = rng.choice([2014, 2015, 2016, 2017, 2018, 0], size=n_units, p=[0.14] * 5 + [0.30])
    unit = np.repeat(np.arange(n_units, dtype=np.int64), N_PERIODS)
    year = np.tile(years, n_units)
    g = np.repeat(cohort, N_PERIODS)
    exposure = np.where((g > 0) & (year >= g), year - g + 1, 0)
    y = (rng.normal(0, 1, n_units)[unit] + 0.1 * (year - 2010) + 0.5 * exposure * (1 + (g == 2014))
         + rng.normal(0, 1, len(unit)))
    return pd.DataFrame({"unit": unit, "year": year, "first_treat": g, "y": y})


def run_tool(tool: str, path: str, n_boot: int, repeat: int) -> dict:
    """Child process: load the data, time the estimation ``repeat`` times; the first call, the fastest, peak memory, ATT."""
    import resource
    import warnings

    warnings.simplefilter("ignore")
    data = pd.read_parquet(path)
    times = []
    for _ in range(repeat):
        seconds, att = _estimate(tool, data, n_boot)
        times.append(seconds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"first": times[0], "seconds": min(times), "peak_mb": peak_mb, "att": float(att)}


def _estimate(tool: str, data: pd.DataFrame, n_boot: int) -> tuple[float, float]:
    if tool == "impact":
        from impact.did import callaway_santanna

        start = time.perf_counter()
        res = callaway_santanna(data, "y", "unit", "year", "first_treat", n_boot=n_boot, seed=1,
                                boot_weights="rademacher")
        seconds = time.perf_counter() - start
        att = res.estimate
    elif tool == "diff-diff":
        from diff_diff import CallawaySantAnna

        start = time.perf_counter()
        res = CallawaySantAnna(control_group="never_treated", n_bootstrap=n_boot, seed=1,
                               bootstrap_weights="rademacher").fit(
            data, "y", "unit", "year", "first_treat")
        seconds = time.perf_counter() - start
        att = res.overall_att
    else:
        import moderndid

        start = time.perf_counter()
        mp = moderndid.att_gt(data=data, yname="y", tname="year", idname="unit", gname="first_treat",
                              boot=n_boot > 0, biters=max(n_boot, 1), cband=n_boot > 0, random_state=1)
        agg = moderndid.aggte(mp, type="simple")
        seconds = time.perf_counter() - start
        att = agg.overall_att
    return seconds, att


def measure(tool: str, path: str, n_boot: int, timeout: float, repeat: int, processes: int) -> dict:
    """Run ``processes`` fresh children: the fastest first call, the fastest call, the largest peak memory."""
    runs = [run_child(__file__, [tool, "--path", path, "--n-boot", str(n_boot), "--repeat", str(repeat)], timeout)
            for _ in range(processes)]
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    return {"first": min(r["first"] for r in ok), "seconds": min(r["seconds"] for r in ok),
            "peak_mb": max(r["peak_mb"] for r in ok), "att": ok[0]["att"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1M", help="1M (100,000 units) or 10M (1,000,000 units), or a number")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ", ".join(TOOLS))
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per tool and setting")
    parser.add_argument("--repeat", type=int, default=3,
                        help="calls per tool and setting in one process: the first call (lazy imports, first use "
                             "of memory) and the fastest are reported")
    parser.add_argument("--processes", type=int, default=3,
                        help="fresh processes per tool and setting; the fastest first call and fastest call over "
                             "them are reported (other processes on a shared machine add noise)")
    parser.add_argument("--shuffle", action="store_true",
                        help="write the rows in random order (as generated they are sorted by unit and period, "
                             "which impact recognises without coding the units)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--n-boot", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_tool(args.child, args.path, args.n_boot, args.repeat)))
        return

    rows = {"1M": 1_000_000, "10M": 10_000_000}.get(args.rows.upper()) or int(float(args.rows))
    n_units = rows // N_PERIODS
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "panel.parquet")
        panel = make_panel(n_units)
        if args.shuffle:
            panel = panel.sample(frac=1.0, random_state=0).reset_index(drop=True)
        panel.to_parquet(path)
        del panel
        print(f"staggered panel: {n_units:,} units x {N_PERIODS} periods = {n_units * N_PERIODS:,} rows"
              f"{' in random order' if args.shuffle else ''}; "
              f"no covariates, never-treated controls; python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs\n")
        results = {}
        for n_boot in (0, 999):
            for tool in tools:
                slow = tool == "moderndid"  # minutes per run at 1M rows: once
                results[(tool, n_boot)] = measure(tool, path, n_boot, args.timeout, 1 if slow else args.repeat,
                                                  1 if slow else args.processes)
                print(f"  {tool:10s} n_boot={n_boot:<4d} {results[(tool, n_boot)]}", file=sys.stderr)

    header = ("| tool | standard errors | first call (s) | x impact | fastest call (s) | x impact | peak memory (MB) "
              "| overall ATT |")
    print(header)
    print("|" + "---|" * 8)
    for n_boot in (0, 999):
        base = results.get(("impact", n_boot), {})
        for tool in tools:
            r = results[(tool, n_boot)]
            label = "analytic" if n_boot == 0 else "bootstrap (999)"
            if "error" in r:
                print(f"| {tool} | {label} | {r['error']} | | | | | |")
                continue
            cells = []
            for key in ("first", "seconds"):
                ratio = f"{r[key] / base[key]:.1f}" if key in base else ""
                cells += [f"{r[key]:.3f}", ratio]
            print(f"| {tool} | {label} | {' | '.join(cells)} | {r['peak_mb']:.0f} | {r['att']:.5f} |")


if __name__ == "__main__":
    main()
