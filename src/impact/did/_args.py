"""Keyword arguments under other packages' names: a message that names ours, not a bare ``TypeError``.

Users who know R ``did`` (``att_gt(yname=, tname=, idname=, gname=, ...)``)
or ``fixest``/``didimputation`` type those names first. Python's own
``TypeError: got an unexpected keyword argument 'yname'`` does not say what
to type instead; :func:`accepts_r_names` turns it into a
:class:`~impact.errors.ConfigError` that does.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import warnings

from impact.errors import ConfigError

__all__ = ["R_NAMES", "accepts_r_names"]

#: R ``did`` (and ``did2s``/``didimputation``/``fixest``) argument names and ours.
R_NAMES = {
    "yname": "outcome",
    "tname": "time",
    "idname": "unit",
    "gname": "cohort",
    "xformla": "covariates",
    "xformula": "covariates",
    "est_method": "method",
    "control_group": "control",
    "clustervars": "cluster",
    "cluster_var": "cluster",
    "weightsname": "weights",
    "biters": "n_boot",
    "bstrap": "n_boot",
    "alp": "alpha",
    "anticipation_periods": "anticipation",
    "pl": "n_jobs",
    "horizon": "window",
    "pretrends": "window",
    "ref_p": "reference",
    "ref": "reference",
    "treatment_var": "treatment",
    "unit_var": "unit",
    "time_var": "time",
}

_R_DID = {"yname", "tname", "idname", "gname", "xformla", "est_method", "control_group", "clustervars",
          "weightsname", "biters", "bstrap", "alp", "anticipation_periods", "pl"}


#: R arguments that have no counterpart in one of our functions because it does their work unasked.
_BUILT_IN = {
    ("callaway_santanna", "allow_unbalanced_panel"):
        "a panel in which some units miss some periods is detected and estimated as R did's "
        "allow_unbalanced_panel=TRUE does",
    ("imputation", "first_stage"):
        "the first stage (unit and period effects fitted on the untreated observations) is built from "
        "unit=, time= and cohort=",
}


def _message(func_name: str, bad: str, params: list[str]) -> str:
    built_in = _BUILT_IN.get((func_name, bad))
    if built_in is not None:
        return f"{func_name} has no argument {bad}=: {built_in}; remove it (its arguments: {', '.join(params)})"
    ours = R_NAMES.get(bad)
    if ours is not None and ours in params:
        source = "R did's" if bad in _R_DID else "an R package's"
        return f"{func_name}: {bad}= is {source} name; use {ours}= (our arguments: {', '.join(params)})"
    close = difflib.get_close_matches(bad, params, n=1)
    hint = f"; did you mean {close[0]}=?" if close else ""
    return f"{func_name} has no argument {bad}={hint} (its arguments: {', '.join(params)})"


def accepts_r_names(func):
    """Decorate a public estimator so that an unknown keyword raises a :class:`ConfigError` naming ours.

    Known R names (``yname=``, ``tname=``, ``gname=``, ``idname=``,
    ``xformla=``, ``est_method=``, ``control_group=``, ``clustervars=``...)
    are reported with the argument to use instead; other unknown keywords
    with the closest of the function's own. A function that takes
    ``**kwargs`` (and passes them on) is only checked for R names, which
    none of ours accept. The call itself is untouched otherwise.
    """
    sig = inspect.signature(func)
    params = [p.name for p in sig.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    named = set(params)
    open_kwargs = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for key in kwargs:
            if key not in named and (not open_kwargs or key in R_NAMES):
                raise ConfigError(_message(func.__name__, key, params))
        # Warnings are re-issued at the caller's line, whatever depth inside impact raised them:
        # a stacklevel counted by hand at each warn() breaks whenever a layer is added.
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                return func(*args, **kwargs)
        finally:  # also when the estimator raises: the rows it dropped on the way still matter
            for w in caught:
                warnings.warn(w.message, w.category, stacklevel=2)

    return wrapper
