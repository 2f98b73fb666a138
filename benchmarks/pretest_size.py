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

Two tables: (1) the Callaway-Sant'Anna dynamic leads from the vectorised path
of ``tests/sim_pretrend.py`` (checked against the library to 1e-10 in
``tests/test_pretest_size.py``) on many panels, with a power curve; (2) every
estimator fitted by the library on fewer panels. Rejection rates at 5 %; the
Monte Carlo standard error is printed with each table.

    .venv/bin/python benchmarks/pretest_size.py                      # 2000 + 150 panels, ~10 min on one core
    .venv/bin/python benchmarks/pretest_size.py --panels 60 --sun-abraham   # adds Sun-Abraham (slow)
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

from sim_pretrend import cs_dynamic_leads  # noqa: E402

from impact.did import callaway_santanna, event_study, imputation, pretrend_test, sun_abraham  # noqa: E402
from impact.did.diagnostics import _pretrend  # noqa: E402

#: Linear pre-trend per period for the power rows, by shape (the small panel needs a larger one).
POWER_TREND = {"96x36": 0.2, "24x12": 1.0}


#: Power curve of the vectorised table, by shape.
TREND_GRID = {"96x36": (0.0, 0.1, 0.2, 0.3), "24x12": (0.0, 0.5, 1.0, 2.0)}


def vectorised_table(panels: int, seed: int) -> pd.DataFrame:
    """CS dynamic leads: the chi-squared test of every lead (before) and pretrend_test's default (after)."""
    rows = []
    for shape in SHAPES:
        for trend in TREND_GRID[shape]:
            y, g = simulate(shape, panels, seed=seed, trend=trend)
            leads, b, V = cs_dynamic_leads(y, g)
            n = g.shape[1]
            nu = n - len(SHAPES[shape]["waves"]) - 1  # as impact.did.aggregate.cov_degrees
            before = [_pretrend(b[i], V[i], leads, n, nu, n / nu, "cs", test="chi2", leads=None).pvalue
                      for i in range(panels)]
            after = [_pretrend(b[i], V[i], leads, n, nu, n / nu, "cs").pvalue for i in range(panels)]
            rows.append({"shape": shape, "pre-trend per period": trend, "leads": len(leads),
                         "before: chi2, every lead": np.mean(np.array(before) < 0.05),
                         "after: F, 5 leads + bin": np.mean(np.array(after) < 0.05)})
    return pd.DataFrame(rows)


def pvalues(df: pd.DataFrame, with_sa: bool = False) -> dict:
    """Every pre-test's p-value on one panel, before and after."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = callaway_santanna(df, "y", "id", "t", "g", method="reg", n_boot=0)
        fits = {"CS dynamic": cs.aggregate("dynamic"), "TWFE event study": event_study(df, "y", "id", "t", "g"),
                "imputation": imputation(df, "y", "id", "t", "g")}
        if with_sa:
            fits["Sun-Abraham"] = sun_abraham(df, "y", "id", "t", "g")
    out[("CS summary", "before")] = cs.r_pretest_pvalue
    out[("CS summary", "after")] = cs.pretest_pvalue
    for name, fit in fits.items():
        out[(name, "before")] = pretrend_test(fit, test="chi2", leads=None).pvalue
        out[(name, "after")] = pretrend_test(fit).pvalue
    return out


def table(panels: int, seed: int, with_sa: bool = False) -> pd.DataFrame:
    rows = []
    for shape in SHAPES:
        for trend in (0.0, POWER_TREND[shape]):
            y, g = simulate(shape, panels, seed=seed, trend=trend)
            t0 = time.time()
            p = pd.DataFrame([pvalues(frame(y[i], g[i]), with_sa) for i in range(panels)])
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
    parser.add_argument("--panels", type=int, default=150, help="panels per row fitted by the library (150)")
    parser.add_argument("--fast-panels", type=int, default=2000, help="panels per row, vectorised CS (2000)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--sun-abraham", action="store_true", help="also Sun-Abraham (about 2 s a panel)")
    args = parser.parse_args()
    fmt = {"index": False, "float_format": lambda x: f"{x:.3f}"}
    fast = vectorised_table(args.fast_panels, args.seed)
    print(f"(1) Callaway-Sant'Anna dynamic leads, {args.fast_panels} seeded panels per row "
          f"(Monte Carlo s.e. at 5 %: {np.sqrt(0.05 * 0.95 / args.fast_panels):.3f}; seed {args.seed}); "
          "pre-trend in outcome units per period (AR(1) innovation s.d. 3)")
    print(fast.to_string(**fmt))
    result = table(args.panels, args.seed, args.sun_abraham)
    print(f"\n(2) Every pre-test, estimators fitted by the library, {args.panels} seeded panels per row "
          f"(Monte Carlo s.e. at 5 %: {np.sqrt(0.05 * 0.95 / args.panels):.3f}; seed {args.seed})")
    print(result.to_string(**fmt))


if __name__ == "__main__":
    main()
