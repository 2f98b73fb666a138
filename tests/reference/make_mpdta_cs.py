"""Regenerate tests/reference/mpdta_cs_moderndid.csv: Callaway-Sant'Anna on mpdta by moderndid.

moderndid (0.2.0, https://github.com/jordandeklerk/moderndid) is an independent
Python port of R `did` 2.x. Its att_gt/aggte output on mpdta agrees with the
R package's published output (R did docs/reference/att_gt.md, aggte.md,
docs/articles/did-basics.md, README.md) to the 4 printed decimals, which
tests/test_staggered.py checks separately; this file holds its full-precision
numbers (analytic standard errors, bstrap=FALSE) for every configuration the
tests use.

Run:  .venv/bin/python tests/reference/make_mpdta_cs.py
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import moderndid

HERE = Path(__file__).parent
CONFIGS = [
    # (method, covariate, control, base_period)
    *[(m, c, ctl, b) for m, c, ctl, b in itertools.product(("dr", "ipw", "reg"), (None, "lpop"),
                                                         ("never", "not_yet"), ("varying", "universal"))],
]


def config_id(method, cov, control, base):
    return f"{method}-{cov or 'nocov'}-{control}-{base}"


def main():
    data = pd.read_csv(HERE.parent / "data" / "mpdta.csv")
    rows = []
    for method, cov, control, base in CONFIGS:
        cid = config_id(method, cov, control, base)
        mp = moderndid.att_gt(
            data=data, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
            xformla=f"~{cov}" if cov else None, est_method=method, boot=False, cband=False,
            control_group="nevertreated" if control == "never" else "notyettreated", base_period=base,
        )
        for g, t, a, s in zip(mp.groups, mp.times, mp.att_gt, mp.se_gt):
            rows.append((cid, "gt", int(g), int(t), np.nan, float(a), float(s)))
        for kind, extra in (("simple", {}), ("dynamic", {}), ("group", {}), ("calendar", {}),
                            ("dynamic_balance1", {"balance_e": 1}), ("dynamic_window", {"min_e": -2, "max_e": 2})):
            agg = moderndid.aggte(mp, type=kind.split("_")[0], cband=False, **extra)
            rows.append((cid, kind, np.nan, np.nan, np.nan, float(agg.overall_att), float(agg.overall_se)))
            if kind != "simple":
                for e, a, s in zip(agg.event_times, agg.att_by_event, agg.se_by_event):
                    rows.append((cid, kind, np.nan, np.nan, float(e), float(a), float(s)))
    frame = pd.DataFrame(rows, columns=["config", "kind", "cohort", "period", "component", "estimate", "se"])
    frame.to_csv(HERE / "mpdta_cs_moderndid.csv", index=False, float_format="%.12g")
    print(f"wrote {len(frame)} rows")


if __name__ == "__main__":
    main()
