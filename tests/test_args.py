"""R argument names: the hints name our argument only where it does the same job (review defects)."""

from __future__ import annotations

import pytest

import impact.did as did
from impact.did._args import R_NAMES
from impact.errors import ConfigError


@pytest.mark.parametrize("func, theirs", [("callaway_santanna", "first_stage"), ("imputation", "first_stage"),
                                          ("callaway_santanna", "allow_unbalanced_panel"),
                                          ("twfe", "allow_unbalanced_panel")])
def test_no_misleading_hint(func, theirs):
    # did2s's first_stage is a formula, not a cohort; R did's allow_unbalanced_panel is not our panel=
    # (panel=False means repeated cross-sections): pointing to cohort= or panel= sent users astray.
    assert theirs not in R_NAMES
    with pytest.raises(ConfigError, match=f"{func} has no argument {theirs}=") as info:
        getattr(did, func)(None, **{theirs: True})
    assert "use cohort=" not in str(info.value) and "use panel=" not in str(info.value)


def test_built_in_work_is_explained_where_it_is_true():
    with pytest.raises(ConfigError, match="detected and estimated as R did's allow_unbalanced_panel=TRUE does; "
                                          "remove it"):
        did.callaway_santanna(None, allow_unbalanced_panel=True)
    with pytest.raises(ConfigError, match=r"first stage .* is built from unit=, time= and cohort=; remove it"):
        did.imputation(None, first_stage="~ 0 | id + t")
    # Elsewhere the plain message: no claim about work the function does not do.
    with pytest.raises(ConfigError) as info:
        did.synthetic_control(None, allow_unbalanced_panel=True)
    assert "detected" not in str(info.value)


def test_true_hints_still_given():
    with pytest.raises(ConfigError, match="gname= is R did's name; use cohort="):
        did.callaway_santanna(None, gname="g")
