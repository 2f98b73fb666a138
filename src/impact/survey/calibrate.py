"""Raking: calibrate the weights to known population margins, and the variance that follows.

Iterative proportional fitting (Deming & Stephan 1940) scales the weights,
one margin after another, until the weighted counts of every category of
every margin equal the known population counts (for example age band and
sex from the census). Replicate weights are raked the same way, each
column on its own, so a replicate variance accounts for the calibration.

With linearisation, a calibrated estimator's influence is the residual of
the linearised variable from its weighted least-squares projection on the
margin indicators (Deville & Sarndal 1992; R ``survey``'s
``calibrate(..., calfun="raking")``):
``z_res = z - w * X (X' W X)^- X' z``, with ``w`` the calibrated weights.
Calibration on margins correlated with the answer lowers its variance.

References
----------
Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a
sampled frequency table when the expected marginal totals are known. Annals
of Mathematical Statistics 11(4), 427-444. https://doi.org/10.1214/aoms/1177731829
Deville, J.-C., & Sarndal, C.-E. (1992). Calibration estimators in survey
sampling. JASA 87(418), 376-382. https://doi.org/10.1080/01621459.1992.10475217
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from impact.data import check_columns, show
from impact.errors import ConfigError, DataError, EstimationError
from impact.survey.checks import column_name

__all__ = ["Margins", "margins", "rake_weights", "with_design_weights", "calibration_residuals"]


@dataclass(frozen=True)
class Margins:
    """Category codes of every margin stacked into one indicator matrix ``X`` (rows x categories)."""

    names: tuple[str, ...]
    codes: tuple[np.ndarray, ...]
    targets: tuple[np.ndarray, ...]
    indicator: sparse.csr_matrix
    #: ``(X' D X)^-`` for the design weights ``D`` of the raked design (:func:`with_design_weights`)
    gram_pinv: np.ndarray | None = None


def _gram_pinv(x: sparse.csr_matrix, design_weights: np.ndarray) -> np.ndarray:
    xtdx = (x.T @ x.multiply(design_weights[:, None])).toarray()
    # the stacked margins are collinear (every margin sums to one); the pseudo-inverse gives the projection
    return np.linalg.pinv(xtdx, rcond=1e-12, hermitian=True)


def with_design_weights(spec: Margins, design_weights: np.ndarray) -> Margins:
    """``spec`` with ``(X' D X)^-`` for these design weights, computed once for every later estimate."""
    return replace(spec, gram_pinv=_gram_pinv(spec.indicator, design_weights))


def margins(data: pd.DataFrame, population: Mapping[str, Mapping]) -> Margins:
    """Check ``{column: {category: population count}}`` against the sample and code it."""
    if not isinstance(population, Mapping) or not population:
        raise ConfigError(
            "margins must be a dict {column: {category: population count}}, e.g. "
            "{'sex': {'F': 5200, 'M': 4800}, 'age': {'<40': 4000, '40+': 6000}}"
        )
    for i, name in enumerate(population):
        column_name(f"margin {i + 1}", name, "margins are keyed by the column whose categories are counted")
    check_columns(data, **{f"margin {i + 1}": name for i, name in enumerate(population)})
    names, codes, targets, blocks, offset, sums = [], [], [], [], 0, []
    for name, counts in population.items():
        if not isinstance(counts, (Mapping, pd.Series)) or len(counts) == 0:
            raise ConfigError(
                f"margin {name!r} must map each category of the column to its population count, e.g. "
                f"{{'F': 5200, 'M': 4800}} (got {counts!r})"
            )
        try:
            counts = pd.Series(counts, dtype=float) if not isinstance(counts, pd.Series) else counts.astype(float)
        except (TypeError, ValueError):
            raise ConfigError(f"margin {name!r}: population counts must be positive numbers (got {dict(counts)!r})") from None
        if counts.isna().any() or (counts <= 0).any() or not np.isfinite(counts).all():
            raise ConfigError(f"margin {name!r}: population counts must be positive numbers (got {counts.to_dict()})")
        column = data[name]
        if column.isna().any():
            raise DataError(
                f"margin column {name!r} has {int(column.isna().sum())} missing value(s); every respondent needs "
                "a category to be raked: impute or add a category such as 'unknown' with its population count"
            )
        code = pd.Index(counts.index).get_indexer(column)
        if (code < 0).any():
            unknown = pd.unique(column[code < 0])[:5]
            raise ConfigError(
                f"margin {name!r}: categories {', '.join(map(show, unknown))} of the sample have no population count "
                f"(given: {', '.join(map(show, counts.index[:10]))})"
            )
        seen = np.bincount(code, minlength=len(counts)) > 0
        if not seen.all():
            raise DataError(
                f"margin {name!r}: category {show(counts.index[~seen][0])} has a population count but no respondent; "
                "merge it with a neighbouring category"
            )
        names.append(name)
        codes.append(code.astype(np.int64))
        targets.append(counts.to_numpy())
        blocks.append(code + offset)
        offset += len(counts)
        sums.append(counts.sum())
    if max(sums) - min(sums) > 1e-6 * max(sums):
        raise ConfigError(
            f"margins sum to different population sizes ({', '.join(f'{n}: {s:g}' for n, s in zip(names, sums))}); "
            "raking needs every margin to describe the same population"
        )
    n = len(data)
    rows = np.tile(np.arange(n), len(blocks))
    indicator = sparse.csr_matrix((np.ones(rows.size), (rows, np.concatenate(blocks))), shape=(n, offset))
    return Margins(tuple(names), tuple(codes), tuple(targets), indicator)


def rake_weights(weights: np.ndarray, spec: Margins, max_iter: int = 100, tol: float = 1e-10) -> np.ndarray:
    """Iterative proportional fitting of the weight columns (rows x R, or one vector) to the margins.

    Converged when every weighted category count is within ``tol``
    (relative) of its population count.
    """
    w = np.array(weights, dtype=float, copy=True)
    matrix = w.reshape(len(w), -1)
    # each margin's category-by-row indicator, built once: only the weights change between iterations
    sums = [sparse.csr_matrix((np.ones(code.size), (code, np.arange(code.size))), shape=(target.size, code.size))
            for code, target in zip(spec.codes, spec.targets)]
    for _ in range(max_iter):
        worst = 0.0
        for code, target, summed in zip(spec.codes, spec.targets, sums):  # a few margins; each step vectorised
            counts = summed @ matrix
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(counts > 0, target[:, None] / counts, 1.0)
            worst = max(worst, float(np.max(np.abs(ratio - 1.0))))
            matrix *= ratio[code]
        if worst < tol:
            return matrix.reshape(w.shape)
    raise EstimationError(
        f"raking on {', '.join(spec.names)} did not converge in {max_iter} iterations (largest relative gap "
        f"{worst:.2g}); margins with empty or tiny cells: merge categories, or raise max_iter"
    )


def calibration_residuals(z: np.ndarray, rows: np.ndarray, group: np.ndarray, k: int, weights: np.ndarray,
                          design_weights: np.ndarray, spec: Margins) -> np.ndarray:
    """Residuals (rows x k, dense) of the linearised variables from their projection on the margins.

    ``z`` holds the linearised values of the rows ``rows`` in domains
    ``group`` (zero elsewhere), computed with the calibrated ``weights``.
    The per-unit values ``z / w`` are regressed on the margin indicators by
    least squares weighted with the ``design_weights`` (before raking), and
    the residuals are multiplied back by the calibrated weights:
    ``z_res = z - w X beta``, ``beta = (X' D X)^- X' D (z / w)``, the GREG
    residual that R ``survey`` uses for ``calibrate(..., calfun="raking")``.
    """
    x = spec.indicator
    inverse = spec.gram_pinv if spec.gram_pinv is not None else _gram_pinv(x, design_weights)
    per_unit = z * (design_weights[rows] / weights[rows])
    xtz = (x.T @ sparse.csr_matrix((per_unit, (rows, group)), shape=(x.shape[0], k))).toarray()
    beta = inverse @ xtz
    out = -(weights[:, None] * (x @ beta))
    out[rows, group] += z  # each row sits in one domain: no repeated index
    return out
