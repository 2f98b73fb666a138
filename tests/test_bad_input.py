"""Every estimator names the column and rows of a bad value (issue 10).

Non-finite values in an outcome, covariate or weight, and missing values in a
unit, time or cohort column, must be an ImpactError naming the column and the
rows, never a raw solver error or a silent estimate; a non-numeric token is
named with its rows and the hint does not suggest a fix that would fail.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from impact.design import history_moments, history_plot, simulate_power
from impact.did import (
    bacon_decomposition,
    callaway_santanna,
    event_study,
    imputation,
    placebo_test,
    sun_abraham,
    synthetic_control,
    synthetic_did,
    twfe,
    two_by_two,
    wild_cluster_bootstrap,
)
from impact.errors import DataError, DroppedRowsWarning, ImpactError

N_UNITS, N_PERIODS, START = 24, 8, 5


def panel(seed=0) -> pd.DataFrame:
    """One adoption date (units 0-7 from period 5), so that every estimator, SDID and SC included, accepts it."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"id": np.repeat(np.arange(N_UNITS), N_PERIODS), "t": np.tile(np.arange(1, N_PERIODS + 1), N_UNITS)})
    df["g"] = np.where(df["id"] < 8, START, 0)
    df["d"] = ((df["g"] > 0) & (df["t"] >= START)).astype(int)
    df["treated"] = (df["g"] > 0).astype(int)
    df["post"] = (df["t"] >= START).astype(int)
    df["x"] = rng.normal(size=len(df))
    df["w"] = rng.uniform(1, 2, size=N_UNITS)[df["id"]]
    df["y"] = rng.normal(size=N_UNITS)[df["id"]] + 0.3 * df["t"] + 2.0 * df["d"] + 0.5 * rng.normal(size=len(df))
    return df


# Each estimator with the columns it reads; the roles say which columns it uses.
ESTIMATORS = {
    "two_by_two": (lambda d: two_by_two(d, "y", "treated", "post", covariates=["x"], unit="id"), {"x", "id"}),
    "twfe": (lambda d: twfe(d, "y", "id", "t", "d", covariates=["x"]), {"x", "id", "t"}),
    "event_study": (lambda d: event_study(d, "y", "id", "t", "g"), {"id", "t", "g"}),
    "callaway_santanna": (lambda d: callaway_santanna(d, "y", "id", "t", "g", covariates=["x"], weights="w", n_boot=0),
                          {"x", "w", "id", "t", "g"}),
    "sun_abraham": (lambda d: sun_abraham(d, "y", "id", "t", "g"), {"id", "t", "g"}),
    "imputation": (lambda d: imputation(d, "y", "id", "t", "g"), {"id", "t", "g"}),
    "bacon_decomposition": (lambda d: bacon_decomposition(d, "y", "id", "t", "g"), {"id", "t", "g"}),
    "synthetic_control": (lambda d: synthetic_control(d, "y", "id", "t", 0, START, predictors=["x"], placebos=False,
                                                      leave_one_out=False), {"x", "id", "t"}),
    "synthetic_did": (lambda d: synthetic_did(d, "y", "id", "t", "d", n_reps=5, seed=1), {"id", "t"}),
    "placebo_test": (lambda d: placebo_test(d, "y", "id", "t", "g", shift=1), {"id", "t", "g"}),
    "wild_cluster_bootstrap": (lambda d: wild_cluster_bootstrap(d, "y", "id", "t", "d", n_boot=99, seed=1),
                               {"id", "t"}),
    "history_moments": (lambda d: history_moments(d, "y", "id", "t"), {"id", "t"}),
    "history_plot": (lambda d: history_plot(d, "y", "id", "t"), {"id", "t"}),
    "wild_cluster_bootstrap_2x2": (lambda d: wild_cluster_bootstrap(d, "y", treated="treated", post="post", cluster="id",
                                                                    n_boot=99, seed=1), set()),
    "simulate_power": (lambda d: simulate_power(d, "y", "id", "t", n_treated=4, n_post=2, n_sims=100, seed=1),
                       {"id", "t"}),
}
ROW = 13  # a row of unit 1 (treated), period 6: post-treatment, so no estimator can drop it as irrelevant


def cases():
    for name, (_, uses) in ESTIMATORS.items():
        yield name, "y", np.inf, r"outcome column 'y' has 1 infinite value \(row 13\)"
        yield name, "y", -np.inf, r"outcome column 'y' has 1 infinite value \(row 13\)"
        if "x" in uses:
            yield name, "x", -np.inf, r"(covariate|predictor) column 'x' has 1 infinite value \(row 13\)"
        if "w" in uses:
            yield name, "w", np.inf, r"weights column 'w' has 1 infinite value \(row 13\)"
        if "id" in uses:
            yield name, "id", np.nan, r"(unit )?column 'id' (has 1 missing value \(row 13\)|is missing)"
        if "t" in uses:
            yield name, "t", np.nan, r"(time )?column 't' (has 1 missing value \(row 13\)|is missing)"
        if "g" in uses:
            # A cohort missing in one row of a treated unit reads as "never treated" there: the unit then disagrees.
            yield name, "g", np.nan, r"cohort column 'g' varies within unit 1"


@pytest.mark.parametrize("name, column, value, match", list(cases()))
def test_bad_value_is_named_with_its_rows(name, column, value, match):
    data = panel()
    data[column] = data[column].astype(float)
    data.loc[ROW, column] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match=match):
            ESTIMATORS[name][0](data)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_clean_panel_runs(name):
    """The same data without the bad value run (so the errors above come from the bad value)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ESTIMATORS[name][0](panel())
    assert result is not None


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("token", ["n.d.", "NA", "-", "s.o.", "#N/A"])
def test_missing_token_in_outcome_is_named_and_hint_fits(name, token):
    data = panel()
    data["y"] = data["y"].astype(object)
    data.loc[ROW, "y"] = token
    with pytest.raises(DataError) as err:
        ESTIMATORS[name][0](data)
    message = str(err.value)
    assert "'y'" in message and repr(token) in message and "row 13" in message
    assert "str.replace(',', '.'))" not in message  # replacing commas would not fix a token


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_junk_text_is_refused_with_its_rows(name):
    data = panel()
    data["y"] = data["y"].astype(object)
    data.loc[[ROW, 20], "y"] = "twelve"
    with pytest.raises(DataError, match=r"outcome column 'y' must be numeric but has text 'twelve' \(rows 13, 20\)"):
        ESTIMATORS[name][0](data)


def test_decimal_commas_get_the_conversion_that_works():
    data = panel()
    data["y"] = data["y"].map(lambda v: f"{v:.3f}".replace(".", ","))
    with pytest.raises(DataError, match=r"decimal commas such as '.*' \(rows 0, 1, 2, 3, 4 and \d+ more\).*str.replace"):
        twfe(data, "y", "id", "t", "d")


def test_messages_show_values_as_written():
    data = panel()
    data["id"] = data["id"].map(lambda i: ["Évreux", "Sète", "Agen"][i % 3] + str(i // 3))
    data["t"] = data["t"].map(lambda t: f"2022-{t:02d}")
    dup = pd.concat([data, data.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError) as err:
        twfe(dup, "y", "id", "t", "d")
    assert "id='Évreux0', t=2022-01" in str(err.value) and "np." not in str(err.value)


def test_errors_are_impact_errors():
    assert issubclass(DataError, ImpactError)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DroppedRowsWarning)
        twfe(panel(), "y", "id", "t", "d")
