"""The checks of one ``indicators`` entry of ``initiative.yaml``: every problem, each with its location.

A configuration is written by hand, so any key may hold any YAML value (a
list where a name was meant, a mapping where a list was meant). Each check
looks at the type first and reports a wrong one as a problem that names the
setting, what it got and what to write instead; none of them raises.
"""

from __future__ import annotations

import math
from typing import Any

from impact.errors import ConfigError
from impact.indicators import DATA_STATISTICS, DIRECTIONS, UNITS, elapsed_share, parse_date, progress_status

__all__ = ["check_indicator_spec"]

ALLOWED = ("id", "label", "unit", "direction", "baseline", "target", "values", "from_data", "from_survey", "source")
FROM_DATA = ("column", "statistic", "units", "dates", "weight")


def _show(value: Any) -> str:
    """A value as the user wrote it, cut short (a whole mapping pasted in the wrong place can be long)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _check_point(part: Any, where: str, value_required: bool) -> list[str]:
    """``baseline`` or ``target``: ``{value: number, date: label}``."""
    if not isinstance(part, dict) or "date" not in part:
        return [f"{where}: must be {{value: ..., date: ...}}, e.g. {{value: 92, date: 2022-06}} (got {_show(part)})"]
    problems = []
    try:
        parse_date(part["date"], f"{where}.date")
    except ConfigError as exc:
        problems.append(str(exc))
    value = part.get("value")
    if value is None and value_required:
        problems.append(f"{where}.value: required")
    elif value is not None and not _is_number(value):
        problems.append(f"{where}.value: must be a finite number (got {_show(value)})")
    extra = sorted(str(k) for k in part if k not in ("value", "date"))
    if extra:
        problems.append(f"{where}: unknown keys {extra}; allowed: value, date")
    return problems


def _check_values(values: Any, where: str) -> list[str]:
    """``values``: a non-empty list of ``{date, value}`` with readable dates and numbers."""
    hint = "write values: [{date: 2023-06, value: 61}, {date: 2024-06, value: 31}]"
    if not isinstance(values, list) or not values:
        return [f"{where}.values: must be a non-empty list of {{date: ..., value: ...}} (got {_show(values)}); {hint}"]
    problems = []
    for i, item in enumerate(values):
        at = f"{where}.values[{i}]"
        if not isinstance(item, dict) or "date" not in item or "value" not in item:
            problems.append(f"{at}: must be {{date: ..., value: ...}} (got {_show(item)}); {hint}")
            continue
        try:
            parse_date(item["date"], f"{at}.date")
        except ConfigError as exc:
            problems.append(str(exc))
        if item["value"] is not None and not _is_number(item["value"]):
            problems.append(f"{at}.value: must be a number, or empty for a missing measurement "
                            f"(got {_show(item['value'])})")
    return problems


def _check_from_data(data: Any, where: str) -> list[str]:
    """``from_data``: column names as text, a known statistic and unit selection."""
    if not isinstance(data, dict):
        return [f"{where}.from_data: must be {{column, statistic, units}}, e.g. from_data: {{column: delay_days, "
                f"statistic: mean, units: treated}} (got {_show(data)})"]
    problems = []
    if data.get("column") is None:
        problems.append(f"{where}.from_data.column: required, the measured column (e.g. column: delay_days)")
    elif not _is_name(data["column"]):
        problems.append(f"{where}.from_data.column: must be the name of one column (got {_show(data['column'])}); "
                        "give one indicator per column")
    extra = sorted(str(k) for k in data if k not in FROM_DATA)
    if extra:
        problems.append(f"{where}.from_data: unknown keys {extra}; allowed: {', '.join(FROM_DATA)}")
    for key, allowed in (("statistic", DATA_STATISTICS), ("units", UNITS)):
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or value not in allowed):
            problems.append(f"{where}.from_data.{key}: must be one of {', '.join(allowed)} (got {_show(value)})")
    for key in ("dates", "weight"):
        value = data.get(key)
        if value is not None and not _is_name(value):
            problems.append(f"{where}.from_data.{key}: must be the name of one column (got {_show(value)})")
    if data.get("weight") is not None and data.get("statistic", "mean") not in ("mean", None):
        problems.append(f"{where}.from_data.weight: applies to statistic: mean only (statistic is "
                        f"{_show(data.get('statistic'))}); drop weight or use the mean")
    return problems


def _check_from_survey(survey: Any, where: str, questions: dict | None) -> list[str]:
    """``from_survey``: a feedback question's column and one of the statistics computed for it."""
    if not isinstance(survey, dict):
        return [f"{where}.from_survey: must be {{question, statistic}}, e.g. {{question: satisfaction, "
                f"statistic: top_box}} (got {_show(survey)})"]
    problems = [f"{where}.from_survey: unknown keys {sorted(str(k) for k in survey if k not in ('question', 'statistic'))}"
                "; allowed: question, statistic"] if set(survey) - {"question", "statistic"} else []
    for key, what in (("question", "the column of one feedback question (e.g. question: satisfaction)"),
                      ("statistic", "one statistic computed for that question (e.g. statistic: top_box)")):
        if not _is_name(survey.get(key)):
            problems.append(f"{where}.from_survey.{key}: must be {what} (got {_show(survey.get(key))})")
    if problems:
        return problems
    question, statistic = survey["question"], survey["statistic"]
    if questions is None:
        return [f"{where}.from_survey: needs a feedback section with the question {question!r}"]
    if question not in questions:
        return [f"{where}.from_survey.question: {question!r} is not a feedback question "
                f"(questions: {', '.join(map(str, questions)) or 'none'})"]
    if statistic not in questions[question]:
        return [f"{where}.from_survey.statistic: {statistic!r} is not computed for question {question!r}; add it "
                f"to that question's statistics (now {questions[question]})"]
    return []


def check_indicator_spec(spec: Any, where: str, questions: dict | None = None) -> list[str]:
    """Every problem in one ``indicators`` entry of ``initiative.yaml``, each prefixed with its location.

    ``questions`` maps the feedback questions' columns to their statistics, so
    that a ``from_survey`` indicator can be checked against them. Texts
    (``label``, ``unit``, ``source``) are checked as resolved for one language.
    """
    if not isinstance(spec, dict):
        return [f"{where}: must be a mapping with id, label, direction, baseline, target and values "
                f"(got {_show(spec)})"]
    problems = [f"{where}.{k}: unknown key; allowed: {', '.join(sorted(ALLOWED))}" for k in spec if k not in ALLOWED]
    if not _is_name(spec.get("id")):
        problems.append(f"{where}.id: required, a short name such as 'delay' (got {_show(spec.get('id'))})")
    for key in ("label", "unit", "source"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            problems.append(f"{where}.{key}: must be text (got {_show(spec[key])})")
    direction = spec.get("direction")
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        problems.append(f"{where}.direction: must be 'lower' or 'higher' (got {_show(direction)})")
    sources = [k for k in ("values", "from_data", "from_survey") if spec.get(k) is not None]
    if len(sources) != 1:
        problems.append(f"{where}: give exactly one of values, from_data, from_survey (got {sources or 'none'})")
    measured = bool(sources) and sources[0] != "values"  # the baseline value may then be read from the series
    for key in ("baseline", "target"):
        problems += _check_point(spec.get(key), f"{where}.{key}", value_required=not (key == "baseline" and measured))
    if not problems:
        try:
            b, t = spec["baseline"], spec["target"]
            elapsed_share(b["date"], t["date"], t["date"])
            if b.get("value") is not None:
                progress_status(float(b["value"]), float(t["value"]), float(t["value"]), direction, 1.0)
        except ConfigError as exc:
            problems.append(f"{where}: {exc}")
    if spec.get("values") is not None:
        problems += _check_values(spec["values"], where)
    if spec.get("from_data") is not None:
        problems += _check_from_data(spec["from_data"], where)
    if spec.get("from_survey") is not None:
        problems += _check_from_survey(spec["from_survey"], where, questions)
    return problems
