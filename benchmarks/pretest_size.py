"""Size and power of the pre-trend tests, before and after issue 15.

Seeded panels shaped like the RSA example (96 units x 36 periods, four waves,
24 never treated) and a small one (24 units x 12 periods, three waves, 6 never
treated), built by ``tests/sim_pretrend.py``: parallel trends hold, or treated
units follow a linear pre-trend of ``delta`` per period (outcome units; the
AR(1) innovation has standard deviation 3). Each panel is estimated with the
library (Callaway-Sant'Anna, TWFE event study over every event time, BJS
imputation, Sun-Abraham) and every pre-test is computed two ways:

- BEFORE: the chi-squared Wald test of every lead (what ``pretrend_test``
  did), and R did's chi-squared test of every pre-treatment ATT(g, t) (what
  the Callaway-Sant'Anna summary printed);
- AFTER: ``pretrend_test`` as it is now (Hotelling-corrected F, the five
  nearest leads one by one and the earlier ones averaged into one bin), which
  is also the Callaway-Sant'Anna summary's and the report's test.

The table gives the rejection rate at 5 % with its Monte Carlo standard error.

    .venv/bin/python benchmarks/pretest_size.py                 # 300 panels per cell, ~25 min on one core
    .venv/bin/python benchmarks/pretest_size.py --panels 100    # quicker, noisier
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from sim_pretrend import SHAPES, frame, simulate  # noqa: E402

from impact.did import callaway_santanna, event_study, imputation, pretrend_test, sun_abraham  # noqa: E402

#: Linear pre-trend per period for the power rows, by shape (the small panel needs a larger one).
POWER_TREND = {"96x36": 0.2, "24x12": 1.0}


def pvalues(df: pd.DataFrame) -> dict:
    """Every pre-test's p-value on one panel, before and after."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = callaway_santanna(df, "y", "id", "t", "g", method="reg", n_boot=0)
        fits = {"CS dynamic": cs.aggregate("dynamic"), "TWFE event study": event_study(df, "y", "id", "t", "g"),
                "imputation": imputation(df, "y", "id", "t", "g"), "Sun-Abraham": sun_abraham(df, "y", "id", "t", "g")}
    out[("CS summary", "before")] = cs.r_pretest_pvalue
    out[("CS summary", "after")] = cs.pretest_pvalue
    for name, fit in fits.items():
        out[(name, "before")] = pretrend_test(fit, test="chi2", leads=None).pvalue
        out[(name, "after")] = pretrend_test(fit).pvalue
    return out


def table(panels: int, seed: int) -> pd.DataFrame:
    rows = []
    for shape in SHAPES:
        for trend in (0.0, POWER_TREND[shape]):
            y, g = simulate(shape, panels, seed=seed, trend=trend)
            t0 = time.time()
            p = pd.DataFrame([pvalues(frame(y[i], g[i])) for i in range(panels)])
            reject = (p < 0.05).mean()
            for (test, when), rate in reject.items():
                rows.append({"shape": shape, "pre-trend per period": trend, "test": test, "when": when,
                             "rejection": rate, "mc_se": np.sqrt(rate * (1 - rate) / panels)})
            print(f"{shape} trend={trend}: {panels} panels in {time.time() - t0:.0f} s", file=sys.stderr)
    out = pd.DataFrame(rows)
    wide = out.pivot_table(index=["shape", "pre-trend per period", "test"], columns="when",
                           values=["rejection"], sort=False)
    wide.columns = [f"{w} (rejection at 5%)" for _, w in wide.columns]
    return wide[["before (rejection at 5%)", "after (rejection at 5%)"]].reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=300, help="simulated panels per cell (default 300)")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    result = table(args.panels, args.seed)
    se = np.sqrt(0.05 * 0.95 / args.panels)
    print(f"Rejection rates at the 5 % level, {args.panels} seeded panels per row "
          f"(Monte Carlo s.e. at 5 %: {se:.3f}; seed {args.seed}).")
    print(result.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
