"""Bad input to impact.survey: each raises an ImpactError whose message names the culprit and the fix."""

import numpy as np
import pandas as pd
import pytest

from impact.errors import ConfigError, DataError
from impact.survey import SurveyDesign


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "region": np.repeat(["north", "south", "west"], 20),
            "site": np.tile(np.repeat([1, 2, 3, 4], 5), 3),
            "w": rng.uniform(1, 5, n),
            "pop": np.repeat([10, 12, 8], 20),
            "score": rng.integers(0, 11, n).astype(float),
            "wave": np.tile([1, 2], 30),
            "label": ["x"] * n,
        }
    )


def nested(data):
    return SurveyDesign(data, weights="w", strata="region", psu="site", nest=True)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"weights": "wt"}, r"weights column 'wt' not found; did you mean 'w'"),
        ({"strata": "regoin"}, r"strata column 'regoin' not found; did you mean 'region'"),
        ({"psu": "cluster"}, r"psu column 'cluster' not found"),
        ({"fpc": "popsize"}, r"fpc column 'popsize' not found; did you mean 'pop'"),
    ],
)
def test_missing_design_column(data, kwargs, pattern):
    with pytest.raises(DataError, match=pattern):
        SurveyDesign(data, **kwargs)


@pytest.mark.parametrize("bad, word", [(0.0, "zero or negative"), (-2.0, "zero or negative"), (np.nan, "missing or infinite"),
                                       (np.inf, "missing or infinite")])
def test_bad_weights(data, bad, word):
    data.loc[7, "w"] = bad
    with pytest.raises(DataError, match=rf"weights column 'w' has 1 {word} value\(s\) \(first at row 7"):
        SurveyDesign(data, weights="w")


def test_psu_in_two_strata_needs_nest(data):
    with pytest.raises(DataError, match=r"PSU 1 of psu column 'site' appears in 3 strata \('north', 'south', 'west'\).*nest=True"):
        SurveyDesign(data, weights="w", strata="region", psu="site")
    assert nested(data).n_psus == 12


def test_lonely_psu_names_the_stratum(data):
    data.loc[data["region"] == "west", "site"] = 1
    with pytest.raises(DataError, match=r"single PSU \('west'\).*lonely_psu='adjust'"):
        nested(data)
    design = SurveyDesign(data, weights="w", strata="region", psu="site", nest=True, lonely_psu="adjust")
    assert design.lonely_strata == ["west"]


def test_missing_stratum_value(data):
    data.loc[3, "region"] = None
    with pytest.raises(DataError, match=r"strata column 'region' has 1 missing value\(s\) \(first at row 3\)"):
        nested(data)


def test_fpc_smaller_than_sample(data):
    data.loc[data["region"] == "south", "pop"] = 3
    with pytest.raises(DataError, match=r"gives stratum 'south' a population of 3 PSUs, smaller than the 4 sampled"):
        SurveyDesign(data, weights="w", strata="region", psu="site", nest=True, fpc="pop")


def test_non_positive_fpc(data):
    data.loc[2, "pop"] = 0
    with pytest.raises(DataError, match=r"fpc column 'pop' has 1 zero or negative value\(s\) \(first at row 2: 0\); fpc must be > 0"):
        SurveyDesign(data, weights="w", strata="region", psu="site", nest=True, fpc="pop")


def test_fpc_varies_within_stratum_and_mixed_kinds(data):
    data.loc[0, "pop"] = 11
    with pytest.raises(DataError, match=r"fpc column 'pop' varies within stratum 'north' \(10 to 11\)"):
        SurveyDesign(data, weights="w", strata="region", psu="site", nest=True, fpc="pop")
    data["pop"] = np.repeat([10, 0.5, 0.4], 20)
    with pytest.raises(ConfigError, match=r"mixes sampling fractions"):
        SurveyDesign(data, weights="w", strata="region", psu="site", nest=True, fpc="pop")


def test_fpc_as_fraction_equals_population_size(data):
    by_size = SurveyDesign(data, weights="w", strata="region", psu="site", nest=True, fpc="pop").mean("score")
    fraction = data.assign(frac=4 / data["pop"])
    by_frac = SurveyDesign(fraction, weights="w", strata="region", psu="site", nest=True, fpc="frac").mean("score")
    assert by_size.se == pytest.approx(by_frac.se, rel=1e-12)


def test_empty_domain(data):
    design = nested(data)
    with pytest.raises(DataError, match=r"where= selects no respondent"):
        design.mean("score", where=data["score"] > 100)
    data.loc[data["wave"] == 2, "score"] = np.nan
    with pytest.raises(DataError, match=r"domain wave=2 has no respondent with an answer \(item non-response: 30\)"):
        nested(data).mean("score", by="wave")


def test_non_finite_and_non_numeric_answers(data):
    data.loc[5, "score"] = np.inf
    with pytest.raises(DataError, match=r"column 'score' has infinite values \(first at row 5\)"):
        nested(data).mean("score")
    with pytest.raises(DataError, match=r"column 'label' must be numeric"):
        nested(data).mean("label")
    with pytest.raises(DataError, match=r"column 'scor' not found; did you mean 'score'"):
        nested(data).total("scor")


def test_bad_options(data):
    with pytest.raises(ConfigError, match=r"lonely_psu must be one of 'error', 'certainty', 'adjust', 'remove' \(got 'skip'\)"):
        SurveyDesign(data, lonely_psu="skip")
    design = nested(data)
    with pytest.raises(ConfigError, match=r"ci must be one of 'logit', 'wald', 'wilson' \(got 'exact'\)"):
        design.proportion("wave", ci="exact")
    with pytest.raises(DataError, match=r"level 7 does not occur in column 'wave'"):
        design.proportion("wave", level=7)
    with pytest.raises(ConfigError, match=r"by column 'region' has 3 levels .* pass groups=\(first, second\)"):
        design.compare("score", by="region")
    with pytest.raises(ConfigError, match=r"groups must be two different levels of 'region'"):
        design.compare("score", by="region", groups=("north", "east"))
    with pytest.raises(ConfigError, match=r"statistic='proportion' needs level="):
        design.compare("score", by="wave", statistic="proportion")
    with pytest.raises(ConfigError, match=r"dissatisfied \(9\) must be below satisfied \(7\)"):
        design.net_satisfaction("score", satisfied=7, dissatisfied=9)
    with pytest.raises(ConfigError, match=r"min_cell_size must be at least 1"):
        SurveyDesign(data, min_cell_size=0)
    with pytest.raises(ConfigError, match=r"where must be a boolean"):
        design.mean("score", where=[1, 0])
    with pytest.raises(ConfigError, match=r"by column 'se' clashes"):
        SurveyDesign(data.assign(se=1)).mean("score", by="se")


def test_proportion_of_a_continuous_column(data):
    data = pd.concat([data] * 2, ignore_index=True).assign(amount=lambda d: d.index * 0.5)
    with pytest.raises(ConfigError, match=r"column 'amount' has 120 distinct answers; .* pass level="):
        nested(data).proportion("amount")


def test_second_stage_needs_both_fpcs(data):
    data["person"] = np.arange(len(data)) % 5
    with pytest.raises(ConfigError, match=r"ssu= adds the second-stage variance .* fpc2="):
        SurveyDesign(data, weights="w", strata="region", psu="site", nest=True, ssu="person", fpc="pop")
    with pytest.raises(ConfigError, match=r"fpc2 \(second-stage population sizes\) needs ssu="):
        SurveyDesign(data, weights="w", strata="region", psu="site", nest=True, fpc="pop", fpc2="pop")
    data["n_people"] = 3
    with pytest.raises(DataError, match=r"fpc column 'n_people' gives PSU 1 a population of 3 SSUs, smaller than the 5"):
        SurveyDesign(data, weights="w", strata="region", psu="site", nest=True, ssu="person", fpc="pop", fpc2="n_people")


def test_bad_replicate_settings(data):
    data["r1"], data["r2"] = data["w"] * 2, np.where(data.index % 2, data["w"] * 2, 0)
    with pytest.raises(ConfigError, match=r"replicate_weights need replicate_type"):
        SurveyDesign(data, weights="w", replicate_weights=["r1", "r2"])
    with pytest.raises(ConfigError, match=r"replicate_type must be one of 'JK1', 'JKn', 'BRR', 'Fay', 'bootstrap'"):
        SurveyDesign(data, weights="w", replicate_weights=["r1", "r2"], replicate_type="jackknife")
    with pytest.raises(ConfigError, match=r"replicate_type='Fay' needs fay_rho"):
        SurveyDesign(data, weights="w", replicate_weights=["r1", "r2"], replicate_type="Fay")
    with pytest.raises(ConfigError, match=r"replicate_type needs replicate_weights="):
        SurveyDesign(data, weights="w", replicate_type="BRR")
    data.loc[4, "r1"] = np.nan
    with pytest.raises(DataError, match=r"replicate weight column 'r1' has missing or infinite values"):
        SurveyDesign(data, weights="w", replicate_weights=["r1", "r2"], replicate_type="BRR")
    with pytest.raises(DataError, match=r"replicate_weights column 'r3' not found"):
        SurveyDesign(data, weights="w", replicate_weights=["r1", "r3"], replicate_type="BRR")
