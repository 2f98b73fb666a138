"""Statistics by key after merging keys, shared by the out-of-core estimators.

Keys are merged when the estimator treats them alike (cohorts after the
sample are never treated within it); pooled moments use Chan, Golub and
LeVeque's parallel update (no raw sums of products, which lose precision).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from impact.scale.stats import PanelStats

__all__ = ["Groups", "merge_groups", "known_fields"]


def known_fields(cls, **fields) -> dict:
    """The keyword arguments among ``fields`` that the result class ``cls`` has (it gains fields over time)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in fields.items() if k in names}


@dataclass(frozen=True)
class Groups:
    """Statistics by key after merging keys (per-key moments, or per-(cluster, key) sums)."""

    keys: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    cov: np.ndarray | None
    cl_index: np.ndarray | None
    cl_pos: np.ndarray | None  # index into keys of each (cluster, key) row
    cl_n: np.ndarray | None
    cl_sum: np.ndarray | None


def merge_groups(st: PanelStats, keys: np.ndarray, keep_periods: int | None = None) -> Groups:
    """Merge the groups of ``st`` relabelled ``keys`` (pooled moments by Chan's parallel update)."""
    T = keep_periods or st.mean.shape[1]
    if st.cluster is not None:
        raw_key = keys[np.searchsorted(st.keys, st.cl_key)]
        ukeys = np.unique(raw_key)
        pos = np.searchsorted(ukeys, raw_key)
        cell, inv = np.unique(st.cl_index * len(ukeys) + pos, return_inverse=True)
        cl_n = np.bincount(inv, weights=st.cl_n).astype(np.int64)
        cl_sum = np.zeros((len(cell), T))
        np.add.at(cl_sum, inv, st.cl_sum[:, :T])
        n = np.bincount(pos, weights=st.cl_n, minlength=len(ukeys)).astype(np.int64)
        sums = np.zeros((len(ukeys), T))
        np.add.at(sums, pos, st.cl_sum[:, :T])
        return Groups(ukeys, n, sums / n[:, None], None, cell // len(ukeys), cell % len(ukeys), cl_n, cl_sum)
    ukeys, inv = np.unique(keys, return_inverse=True)
    n = np.bincount(inv, weights=st.n, minlength=len(ukeys))
    mean = np.zeros((len(ukeys), T))
    np.add.at(mean, inv, st.n[:, None] * st.mean[:, :T])
    mean /= n[:, None]
    dev = st.mean[:, :T] - mean[inv]
    within = st.n[:, None, None] * (st.cov[:, :T, :T] + dev[:, :, None] * dev[:, None, :])
    cov = np.zeros((len(ukeys), T, T))
    np.add.at(cov, inv, within)
    cov /= n[:, None, None]
    return Groups(ukeys, n.astype(np.int64), mean, cov, None, None, None, None)
