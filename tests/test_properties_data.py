"""Property tests (hypothesis): whatever the input, the readers and validate_panel return or raise an ImpactError.

Never a raw pandas/NumPy exception, whatever bytes a file holds or whatever
values a column mixes. Runs are kept small (seconds), with no deadline.
"""

import string
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impact.data import read_table, validate_panel
from impact.errors import ImpactError

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Cells a lab's export might hold: numbers in both decimal marks, periods in every form, tokens, junk, nothing.
CELL_TEXT = st.one_of(
    st.integers(-5, 2030).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda v: f"{v:.2f}"),
    st.floats(-1e4, 1e4).map(lambda v: f"{v:.2f}".replace(".", ",")),
    st.sampled_from(["2023-07", "07/2023", "2023-07-01", "2023Q3", "2023-T3", "2023", "2023-13", "n.d.", "NA", "-",
                     "s.o.", "#N/A", "", " ", "Évreux", "Sète", "inf", "-inf", "1 234,5", "0", '"', "'", ";", ",",
                     "\t", "x;y", "é"]),
    st.text(string.printable + "éèàçÉ\u00a0\u202f", max_size=8),
)


@st.composite
def csv_bytes(draw):
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    n_cols = draw(st.integers(1, 4))
    n_rows = draw(st.integers(0, 6))
    header = [draw(st.sampled_from(["u", "t", "y", "g", "délai", "", "u"])) for _ in range(n_cols)]
    rows = [[draw(CELL_TEXT) for _ in range(n_cols)] for _ in range(n_rows)]
    text = "\n".join(sep.join(r) for r in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-8-sig"]))
    return text.encode(encoding, errors="replace")


def _returns_or_impact_error(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn()
        except ImpactError:
            return None


@SETTINGS
@given(content=st.one_of(csv_bytes(), st.binary(max_size=200)))
def test_read_table_any_bytes(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("read") / "data.csv"
    path.write_bytes(content)
    frame = _returns_or_impact_error(lambda: read_table(path))
    assert frame is None or (isinstance(frame, pd.DataFrame) and len(frame) > 0)


@SETTINGS
@given(content=st.binary(max_size=300), suffix=st.sampled_from([".xlsx", ".parquet", ".tsv", ".txt"]))
def test_read_table_garbage_in_other_formats(tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("read") / f"data{suffix}"
    path.write_bytes(content)
    _returns_or_impact_error(lambda: read_table(path))


VALUES = st.one_of(
    st.integers(-3, 12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.sampled_from(["2023-07", "2023-08", "07/2023", "2023Q3", "2023", "", "n.d.", "Évreux", "0", "2023-07-15"]),
    st.sampled_from([pd.Timestamp("2023-07-01"), pd.Timestamp("2023-08-01"), pd.Timestamp("2023-07-15"), pd.NaT,
                     pd.Period("2023-07", "M"), pd.Period("2023Q3", "Q")]),
    st.booleans(),
)


@st.composite
def frames(draw):
    n = draw(st.integers(1, 12))
    column = lambda: draw(st.lists(VALUES, min_size=n, max_size=n))  # noqa: E731
    # Mostly well-formed columns, sometimes anything, so that deep checks are reached too.
    unit = draw(st.one_of(st.just([i % 3 for i in range(n)]), st.builds(column)))
    time = draw(st.one_of(st.just([2020 + i // 3 for i in range(n)]),
                          st.just([f"2023-{1 + i // 3:02d}" for i in range(n)]), st.builds(column)))
    y = draw(st.one_of(st.lists(st.floats(-10, 10), min_size=n, max_size=n), st.builds(column)))
    g = draw(st.one_of(st.just([0 if i % 3 else 2021 for i in range(n)]), st.builds(column)))
    return pd.DataFrame({"u": pd.Series(unit, dtype=object), "t": pd.Series(time, dtype=object),
                         "y": pd.Series(y, dtype=object), "g": pd.Series(g, dtype=object)}).infer_objects()


@SETTINGS
@given(frame=frames(), use_cohort=st.booleans())
def test_validate_panel_any_frame(frame, use_cohort):
    panel = _returns_or_impact_error(lambda: validate_panel(frame, "y", "u", "t", cohort="g" if use_cohort else None))
    if panel is not None:
        assert np.isfinite(panel.y).all()
        assert panel.time_codes.min() >= 0 and panel.time_codes.max() < panel.n_periods
        assert len(panel.periods) == panel.n_periods >= 2


@st.composite
def small_panels(draw):
    """Small staggered panels with, sometimes, one bad cell: the estimators' own input path."""
    n_units, n_periods = draw(st.integers(2, 6)), draw(st.integers(2, 5))
    unit = np.repeat(np.arange(n_units), n_periods)
    time = np.tile(np.arange(1, n_periods + 1), n_units)
    cohorts = draw(st.lists(st.sampled_from([0, 1, 2, 3, 4, 9]), min_size=n_units, max_size=n_units))
    y = draw(st.lists(st.floats(-100, 100), min_size=n_units * n_periods, max_size=n_units * n_periods))
    frame = pd.DataFrame({"u": unit, "t": time, "g": np.repeat(cohorts, n_periods), "y": y})
    if draw(st.booleans()):
        column = draw(st.sampled_from(["u", "t", "g", "y"]))
        row = draw(st.integers(0, len(frame) - 1))
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = draw(VALUES)
    frame["d"] = ((pd.to_numeric(frame["g"], errors="coerce").fillna(0) > 0)
                  & (pd.to_numeric(frame["t"], errors="coerce") >= pd.to_numeric(frame["g"], errors="coerce"))).astype(int)
    return frame


@settings(max_examples=60, deadline=None)
@given(frame=small_panels(), which=st.sampled_from(["twfe", "event_study", "callaway_santanna", "sun_abraham",
                                                    "imputation"]))
def test_estimators_on_any_small_panel(frame, which):
    from impact import did

    calls = {
        "twfe": lambda: did.twfe(frame, "y", "u", "t", "d"),
        "event_study": lambda: did.event_study(frame, "y", "u", "t", "g"),
        "callaway_santanna": lambda: did.callaway_santanna(frame, "y", "u", "t", "g", n_boot=0),
        "sun_abraham": lambda: did.sun_abraham(frame, "y", "u", "t", "g"),
        "imputation": lambda: did.imputation(frame, "y", "u", "t", "g"),
    }
    result = _returns_or_impact_error(calls[which])
    if result is not None:
        # A number, or a NaN that the result explains (never a silent NaN).
        assert np.isfinite(result.estimate) or result.notes, (which, result.estimate)
