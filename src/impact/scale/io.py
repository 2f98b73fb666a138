"""Saving and reloading sufficient statistics.

The statistics are aggregates (counts, means, covariances per cohort, sums
per cluster and cohort), so they can leave a secure enclave where unit-level
data may not. They are written as one JSON file, readable by a disclosure
reviewer, and cohorts (or cluster-cohort cells) with fewer than
``min_cell_size`` units are withheld on export: the reloaded statistics
estimate without them and say so in the result's notes.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from impact.data import check_int, show
from impact.errors import ConfigError, DataError
from impact.scale.stats import PanelStats

__all__ = ["save_statistics", "load_statistics"]

_FORMAT = "impact.scale.PanelStats/1"


def _periods_out(periods: np.ndarray) -> tuple[list, str]:
    s = pd.Series(periods)
    if pd.api.types.is_datetime64_any_dtype(s):
        return [v.isoformat() for v in s], str(s.dtype)
    return [v.item() if isinstance(v, np.generic) else v for v in s], str(s.dtype)


def _periods_in(values: list, dtype: str) -> np.ndarray:
    if dtype.startswith("datetime64"):
        return pd.to_datetime(pd.Series(values)).to_numpy()
    return np.asarray(pd.Series(values).astype(dtype))


def _observed_periods(patterns: np.ndarray | None, count: int, T: int) -> np.ndarray:
    """Periods each group's (or cell's) units are observed in: all ``T``, or the bits of its pattern."""
    if patterns is None:
        return np.full(count, T, dtype=np.int64)
    bits = (np.asarray(patterns, dtype=np.int64)[:, None] >> np.arange(T)[None, :]) & 1
    return bits.sum(axis=1)


def _group_of(keys, patterns, cl_key, cl_pattern) -> np.ndarray:
    """Index of each (cluster, key) cell's group: its key, and its pattern of observed periods when unbalanced."""
    if patterns is None:
        return np.searchsorted(keys, cl_key)
    groups = pd.MultiIndex.from_arrays([keys, patterns])
    return groups.get_indexer(pd.MultiIndex.from_arrays([cl_key, cl_pattern]))


def _key_labels(stats: PanelStats, keys) -> list[str]:
    """Withheld keys as a reader knows them: the cohort's first period (never treated, after the sample)."""
    if stats.kind != "cohort":
        return [f"treatment path {int(k)}" for k in keys]
    T = len(stats.periods)
    return ["never treated" if k < 0 else "treated after the sample" if k >= T else f"cohort {show(stats.periods[k])}"
            for k in dict.fromkeys(int(k) for k in keys)]


def save_statistics(stats: PanelStats, path: str | os.PathLike, *, min_cell_size: int = 11) -> Path:
    """Write ``stats`` to ``path`` (JSON), withholding cohorts with fewer than ``min_cell_size`` units.

    Parameters
    ----------
    stats : PanelStats
        From :func:`impact.scale.panel_statistics`.
    path : path
        Destination file (``.json``); written to a temporary file and renamed into place.
    min_cell_size : int
        Smallest number of units a cohort (or a cluster-cohort cell) may have
        to be exported; default 11, the usual statistical-disclosure threshold.

    Returns
    -------
    Path

    Raises
    ------
    DataError
        When every cohort (or every cluster-cohort cell) is below
        ``min_cell_size``: nothing could be written.

    Notes
    -----
    On an unbalanced panel the groups are (cohort, pattern of observed
    periods), and each is withheld below ``min_cell_size`` units, since each
    has its own means. With a cluster, a cohort's count and means are those
    of its cells that are kept, so that no withheld cell can be recovered by
    subtracting the kept ones from the cohort's totals. ``n_obs`` counts the
    rows (unit-periods) behind the exported statistics.
    """
    if not isinstance(stats, PanelStats):
        raise ConfigError(f"save_statistics takes PanelStats from impact.scale.panel_statistics (got "
                          f"{type(stats).__name__})")
    min_cell_size = check_int("min_cell_size", min_cell_size, minimum=1)
    T = len(stats.periods)
    n, mean = stats.n, stats.mean
    if stats.cluster is None:
        keep = n >= min_cell_size
        n_obs = int((n * _observed_periods(stats.patterns, len(n), T))[keep].sum())
    else:
        group = _group_of(stats.keys, stats.patterns, stats.cl_key, stats.cl_pattern)
        cell_ok = (stats.cl_n >= min_cell_size) & (n[group] >= min_cell_size)
        n = np.bincount(group[cell_ok], weights=stats.cl_n[cell_ok], minlength=len(stats.keys)).astype(np.int64)
        sums = np.zeros_like(stats.mean)
        np.add.at(sums, group[cell_ok], stats.cl_sum[cell_ok])
        mean = sums / np.maximum(n, 1)[:, None]
        keep = n > 0  # every kept cell has at least min_cell_size units, so every kept cohort too
        n_obs = int((stats.cl_n * _observed_periods(stats.cl_pattern, len(stats.cl_n), T))[cell_ok].sum())
    if not keep.any():
        what = "cohort" if stats.cluster is None else f"({stats.cluster}, cohort) cell"
        raise DataError(
            f"every {what} has fewer than min_cell_size={min_cell_size} units, so the file would hold no "
            f"statistics; lower min_cell_size only if your disclosure rules allow it, or aggregate cohorts (e.g. "
            f"group adoption dates into waves{'' if stats.cluster is None else ', or use coarser clusters'}) "
            "before computing the statistics"
        )
    masked = list(stats.masked) + _key_labels(stats, stats.keys[~keep])
    periods, dtype = _periods_out(stats.periods)
    doc = {
        "format": _FORMAT, "outcome": stats.outcome, "unit": stats.unit, "time": stats.time, "key": stats.key,
        "kind": stats.kind, "cluster": stats.cluster, "periods": periods, "period_dtype": dtype,
        "keys": stats.keys[keep].tolist(), "n": n[keep].tolist(), "mean": mean[keep].tolist(),
        "cov": None if stats.cov is None else stats.cov[keep].tolist(),
        "n_obs": n_obs, "min_cell_size": min_cell_size,
        "masked": masked,
        "patterns": None if stats.patterns is None else stats.patterns[keep].tolist(),
    }
    if stats.cluster is not None:
        labels = stats.cl_labels[stats.cl_index[cell_ok]]
        if stats.cl_pattern is not None:
            doc["cl_pattern"] = stats.cl_pattern[cell_ok].tolist()
        doc.update(cl_labels=[v.item() if isinstance(v, np.generic) else v for v in labels],
                   cl_key=stats.cl_key[cell_ok].tolist(), cl_n=stats.cl_n[cell_ok].tolist(),
                   cl_sum=stats.cl_sum[cell_ok].tolist(), masked_cluster_cells=int((~cell_ok).sum()))
    path = Path(path)
    if not path.parent.is_dir():
        raise ConfigError(f"cannot write statistics to {str(path)!r}: folder {str(path.parent)!r} does not exist; "
                          "create it first or choose another path")
    # A unique temporary file beside the destination, renamed into place: no reader sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, default=str))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"cannot write statistics to {str(path)!r} ({exc.strerror or exc}); choose a path "
                          "you can write to") from None
    return path


def load_statistics(path: str | os.PathLike) -> PanelStats:
    """Read statistics written by :func:`save_statistics`; pass them to an estimator as ``data``."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"no statistics file at {str(path)!r}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{str(path)!r} is not a statistics file written by save_statistics ({exc})") from None
    except OSError as exc:
        raise DataError(f"cannot read statistics from {str(path)!r} ({exc.strerror or exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise DataError(f"{str(path)!r} is not a statistics file written by save_statistics (format "
                        f"{doc.get('format') if isinstance(doc, dict) else None!r})")
    try:
        return _from_doc(doc)
    except KeyError as exc:
        problem = f"no {exc.args[0]!r} entry"
    except (TypeError, ValueError, IndexError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    raise DataError(f"{str(path)!r} is incomplete or was altered after save_statistics wrote it ({problem}); "
                    "write it again from the data")


def _from_doc(doc: dict) -> PanelStats:
    T = len(doc["periods"])
    keys = np.asarray(doc["keys"], dtype=np.int64)
    common = dict(outcome=doc["outcome"], unit=doc["unit"], time=doc["time"], key=doc["key"], kind=doc["kind"],
                  cluster=doc["cluster"], periods=_periods_in(doc["periods"], doc["period_dtype"]), keys=keys,
                  n=np.asarray(doc["n"], dtype=np.int64), mean=np.asarray(doc["mean"], dtype=float).reshape(-1, T),
                  n_obs=int(doc["n_obs"]), masked=tuple(doc.get("masked", ())),
                  patterns=None if doc.get("patterns") is None else np.asarray(doc["patterns"], dtype=np.int64))
    if doc["cluster"] is None:
        return PanelStats(cov=np.asarray(doc["cov"], dtype=float).reshape(-1, T, T), **common)
    labels, index = np.unique(np.asarray(doc["cl_labels"]), return_inverse=True)
    cl_key = np.asarray(doc["cl_key"], dtype=np.int64)
    cl_n = np.asarray(doc["cl_n"], dtype=np.int64)
    cl_sum = np.asarray(doc["cl_sum"], dtype=float).reshape(-1, T)
    cl_pattern = None if doc.get("cl_pattern") is None else np.asarray(doc["cl_pattern"], dtype=np.int64)
    if doc.get("masked_cluster_cells"):
        # Per-group totals must match the cells that were kept, or the cluster sums would not add up (files
        # written before save_statistics did so itself).
        pos = _group_of(keys, common["patterns"], cl_key, cl_pattern)
        n = np.bincount(pos, weights=cl_n, minlength=len(keys)).astype(np.int64)
        sums = np.zeros((len(keys), T))
        np.add.at(sums, pos, cl_sum)
        common.update(n=n, mean=sums / np.maximum(n, 1)[:, None])
        common["masked"] = common["masked"] + (f"{doc['masked_cluster_cells']} cluster-cohort cells",)
    return PanelStats(cov=None, cl_labels=labels, cl_index=index.astype(np.int64), cl_key=cl_key, cl_n=cl_n,
                      cl_sum=cl_sum, cl_pattern=cl_pattern, **common)
