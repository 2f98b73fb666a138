"""Distributions of the multipliers used in Monte Carlo and sensitivity analysis.

A specification is a tuple ``(name, *params)``, as written in a notebook or
an initiative's YAML (a list works too):

============  ========================  ===========================================
name          params                    meaning
============  ========================  ===========================================
normal        mean, sd                  normal multiplier
lognormal     mean, sd                  lognormal multiplier with this mean and sd
                                        (of the multiplier itself, not of its log)
triangular    low, mode, high           triangular on [low, high] peaking at mode
uniform       low, high                 uniform on [low, high]
pert          low, mode, high           beta-PERT (lambda = 4): mean (low+4 mode+high)/6
============  ========================  ===========================================
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from impact.errors import ConfigError

__all__ = ["Distribution", "parse_distribution", "DISTRIBUTIONS"]

DISTRIBUTIONS = {
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "pert": ("low", "mode", "high"),
}


@dataclass(frozen=True)
class Distribution:
    """A validated multiplier distribution; see the module docstring for parameters."""

    name: str
    params: tuple[float, ...]

    def _frozen(self):
        p = self.params
        if self.name == "normal":
            return stats.norm(loc=p[0], scale=p[1])
        if self.name == "lognormal":
            sigma, mu = _lognormal_log_params(*p)
            return stats.lognorm(s=sigma, scale=math.exp(mu))
        if self.name == "triangular":
            low, mode, high = p
            return stats.triang(c=(mode - low) / (high - low), loc=low, scale=high - low)
        if self.name == "uniform":
            return stats.uniform(loc=p[0], scale=p[1] - p[0])
        a, b = _pert_shapes(*p)
        return stats.beta(a, b, loc=p[0], scale=p[2] - p[0])

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        p = self.params
        if self.name == "normal":
            return rng.normal(p[0], p[1], size=n)
        if self.name == "lognormal":
            sigma, mu = _lognormal_log_params(*p)
            return rng.lognormal(mu, sigma, size=n)
        if self.name == "triangular":
            return rng.triangular(p[0], p[1], p[2], size=n)
        if self.name == "uniform":
            return rng.uniform(p[0], p[1], size=n)
        a, b = _pert_shapes(*p)
        return p[0] + (p[2] - p[0]) * rng.beta(a, b, size=n)

    def ppf(self, q) -> np.ndarray:
        """Quantiles (used for one-way sensitivity ranges)."""
        if self.name in ("normal", "lognormal") and self.params[1] == 0:
            return np.full(np.shape(q), self.params[0], dtype=float)
        return self._frozen().ppf(q)

    def mean(self) -> float:
        if self.name in ("normal", "lognormal"):
            return self.params[0]
        return float(self._frozen().mean())

    def __str__(self) -> str:
        return f"{self.name}({', '.join(f'{v:g}' for v in self.params)})"


def _lognormal_log_params(mean: float, sd: float) -> tuple[float, float]:
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.sqrt(sigma2), math.log(mean) - sigma2 / 2


def _pert_shapes(low: float, mode: float, high: float) -> tuple[float, float]:
    width = high - low
    return 1 + 4 * (mode - low) / width, 1 + 4 * (high - mode) / width


def parse_distribution(spec, where: str = "distribution") -> Distribution:
    """Validate a ``(name, *params)`` specification.

    Raises
    ------
    ConfigError
        Unknown name (close names suggested), wrong number of parameters,
        non-numeric parameters, or parameters that make no sense (sd < 0,
        lognormal mean <= 0, low > mode or mode > high, low >= high).
    """
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, (str, bytes)) or not isinstance(spec, (tuple, list)) or not spec:
        raise ConfigError(
            f"{where} must be a tuple (name, *params) such as ('triangular', 0.8, 1.0, 1.3) (got {spec!r})"
        )
    name, *raw = spec
    key = str(name).lower().strip()
    if key not in DISTRIBUTIONS:
        close = difflib.get_close_matches(key, list(DISTRIBUTIONS), n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(f"{where}: unknown distribution {name!r}; {hint}use one of {', '.join(DISTRIBUTIONS)}")
    names = DISTRIBUTIONS[key]
    if len(raw) != len(names):
        raise ConfigError(
            f"{where}: {key} takes {len(names)} parameters ({', '.join(names)}), got {len(raw)}: {tuple(raw)}"
        )
    params = []
    for pname, value in zip(names, raw):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
            raise ConfigError(f"{where}: {key} parameter {pname} must be a finite number (got {value!r})")
        params.append(float(value))
    _check_params(key, params, where)
    return Distribution(key, tuple(params))


def _check_params(key: str, p: list[float], where: str) -> None:
    if key in ("normal", "lognormal") and p[1] < 0:
        raise ConfigError(f"{where}: {key} sd must be zero or positive (got {p[1]:g})")
    if key == "lognormal" and p[0] <= 0:
        raise ConfigError(f"{where}: lognormal mean must be positive (got {p[0]:g}); a lognormal multiplier is positive")
    if key == "uniform" and not p[0] < p[1]:
        raise ConfigError(f"{where}: uniform needs low < high (got low={p[0]:g}, high={p[1]:g})")
    if key in ("triangular", "pert"):
        low, mode, high = p
        if not low <= mode <= high:
            raise ConfigError(
                f"{where}: {key} needs low <= mode <= high (got low={low:g}, mode={mode:g}, high={high:g}); "
                "give the parameters in that order"
            )
        if not low < high:
            raise ConfigError(f"{where}: {key} needs low < high (got low={low:g}, high={high:g})")
