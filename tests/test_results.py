"""The summary's HTML is built only when asked for; text and HTML stay those of the one Summary (review defects)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from impact.results import EffectResult, Summary, SummaryDisplay, SummaryText, tidy_terms


def _result():
    terms = tidy_terms(["ATT"], [1.5], [0.5])
    row = terms.iloc[0]
    return EffectResult(method="Test <estimator>", estimate=1.5, se=0.5, ci_low=row.ci_low, ci_high=row.ci_high,
                        pvalue=row.pvalue, n_obs=100, n_units=10, terms=terms,
                        assumptions={"Control group": "never treated & not yet"}, notes=("a <note>",))


class _Shown(SummaryDisplay):
    def __init__(self, summary):
        self._summary = summary


@pytest.fixture
def html_calls(monkeypatch):
    calls = []
    original = Summary.as_html

    def counted(self):
        calls.append(self.title)
        return original(self)

    monkeypatch.setattr(Summary, "as_html", counted)
    return calls


def test_printing_a_summary_builds_no_html(html_calls, capsys):
    res = _result()
    print(res.summary())
    text = str(res.summary())
    assert html_calls == [] and "Test <estimator>" in capsys.readouterr().out and "Estimate" in text
    assert res.summary().splitlines()[0] == "Test <estimator>"
    assert html_calls == []


def test_html_built_once_when_asked_and_equal_to_the_summary(html_calls):
    res = _result()
    s = res.summary()
    first = s._repr_html_()
    assert s.as_html() == first and html_calls == ["Test <estimator>"]  # built once, then kept
    assert first == res._summary.as_html() == res._repr_html_()
    assert "&lt;estimator&gt;" in first and "&amp; not yet" in first and "&lt;note&gt;" in first


def test_text_and_html_identical_through_every_door():
    res = _result()
    summary = res._summary
    s = summary.as_text()
    assert isinstance(s, SummaryText) and s == summary._text() == str(summary) == str(res) == res.summary()
    assert s.as_text() == str(s) and repr(s) == str(s)
    shown = _Shown(summary)
    assert shown.summary() == s and str(shown) == str(s) and shown._repr_html_() == s.as_html()
    # A pickled summary carries its HTML (built at pickling), not a reference to the result.
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.as_html() == s.as_html() and back._source is None


def test_text_given_with_html_still_works():
    s = SummaryText("plain", "<b>x</b>")
    assert s.as_html() == "<b>x</b>" and SummaryText("a < b").as_html() == "<pre>a &lt; b</pre>"


def test_summary_of_a_survey_like_table():
    # A table with text and missing cells (survey domains, indicators): both renderings derive from it.
    table = pd.DataFrame({"term": ["mean", "total"], "estimate": [1.23456, np.nan], "domain": ["a", None]})
    summary = Summary("Survey", (("Design", "strata"),), table)
    s = summary.as_text()
    assert "1.235" in s and "NaN" in s and "1.235" in s.as_html() and s.as_html() == summary.as_html()
