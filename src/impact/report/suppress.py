"""Publication safety: mask statistics based on too few units or people.

Statistical-disclosure practice (e.g. INSEE's secret statistique, the UK
ONS) forbids publishing a cell, mean or plotted point computed from fewer
than a minimum number of contributors; 11 is the default here, as in many
health-data rules. Masked values become NaN so that tables print '–' and
plots leave a gap, and the report states how many were masked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.data import check_int

__all__ = ["masked_group_means"]


def masked_group_means(
    data: pd.DataFrame,
    value: str,
    by: list[str],
    min_cell_size: int = 11,
    unit: str | None = None,
    count: str | None = None,
) -> tuple[pd.DataFrame, int]:
    """Mean of ``value`` by the ``by`` columns, masked where too few contribute.

    A cell's size is the number of distinct ``unit`` values in it, or the sum
    of ``count`` (people behind each row) when given and larger, or the number
    of rows. A cell is masked when its size is below ``min_cell_size``.

    Returns the frame (``by`` columns, ``value`` mean, ``n``) and the number of masked cells.
    """
    min_cell_size = check_int("min_cell_size", min_cell_size, minimum=1)
    grouped = data.groupby(by, observed=True)
    out = grouped[value].mean().rename(value).to_frame()
    sizes = grouped[unit].nunique() if unit else grouped.size()
    if count:
        sizes = np.maximum(sizes, grouped[count].sum())
    out["n"] = sizes.to_numpy()
    small = out["n"] < min_cell_size
    out.loc[small, value] = np.nan
    return out.reset_index(), int(small.sum())
