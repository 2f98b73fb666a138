"""Initiatives: the ``initiative.yaml`` schema, loading and validation.

The schema is documented in ``templates/initiative.yaml``. Validation lists
every problem with its location (``design.estimator``) instead of stopping at
the first, so that ``impact validate`` tells a user everything to fix at once.
"""

from __future__ import annotations

import difflib
import glob
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from impact.errors import ConfigError, DataError, ImpactError
from impact.report.localise import check_texts, localise, localise_config

__all__ = ["Initiative", "load_initiative", "validate_initiative", "ESTIMATORS", "find_initiatives", "initiative_ident",
           "check_run", "validate_folder"]

ESTIMATORS = (
    "two_by_two",
    "twfe",
    "event_study",
    "callaway_santanna",
    "sun_abraham",
    "imputation",
    "synthetic_control",
    "synthetic_did",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TOP = {"id", "title", "description", "language", "owner", "data", "design", "cost_benefit", "report",
        "indicators", "feedback", "case_study"}
_DATA = {"file", "outcome", "outcome_label", "unit", "time", "cohort", "treatment", "covariates", "panel", "count",
         "treated", "post", "periods"}
_DESIGN = {"estimator", "options", "robustness", "event_window", "treated_unit", "start", "alpha", "better", "seed"}
_CBA = {"currency", "monte_carlo", "rate", "schedule", "beta", "costs", "benefits", "effect_benefits", "base_year",
        "mid_year", "optimism_bias", "mcpf", "public_costs", "residual_value", "residual_year", "prices", "deflator",
        "price_base_year", "name", "labels"}


@dataclass(frozen=True)
class Initiative:
    """One initiative: its folder and its parsed, validated configuration.

    ``checked_data`` holds the data as the data checks read them (a
    DataFrame, or :class:`impact.report.estimate.AggregateData` for a Parquet
    glob left on disk) when the initiative was loaded with ``check_data``, so
    that :func:`impact.report.estimate.prepare` estimates from what was
    checked instead of reading (or scanning) the files again; None otherwise.
    """

    folder: Path
    config: dict[str, Any] = field(repr=False)
    checked_data: Any = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.config["id"]

    @property
    def title(self) -> str:
        # Resolved already when loaded for a language; an Initiative built from a raw configuration still gets text.
        return localise(self.config["title"], self.language)

    @property
    def data_path(self) -> Path:
        return self.folder / self.config["data"]["file"]

    @property
    def data_spec(self) -> dict[str, Any]:
        return self.config["data"]

    @property
    def design(self) -> dict[str, Any]:
        return self.config.get("design") or {}  # `design:` left empty means every default

    @property
    def cost_benefit(self) -> dict[str, Any] | None:
        return self.config.get("cost_benefit")

    @property
    def language(self) -> str:
        return self.config.get("language", "en")

    @property
    def min_cell_size(self) -> int:
        return int((self.config.get("report") or {}).get("min_cell_size", 11))

    @property
    def data_files(self) -> list[Path]:
        """The data file, or every file a glob in ``data.file`` matches (``parts/*.parquet``), sorted."""
        pattern = self.config["data"]["file"]
        return sorted(self.folder.glob(pattern)) if glob.has_magic(pattern) else [self.data_path]

    def read_data(self):
        """The initiative's data as a DataFrame (any format :func:`impact.data.read_table` reads; a glob's files
        are stacked). Estimators can also read such a glob out of core (:mod:`impact.scale`)."""
        from impact.data import read_table

        files = self.data_files
        if files == [self.data_path]:
            return read_table(self.data_path)
        if not files:
            raise DataError(f"data.file {self.config['data']['file']!r} matches no file in {self.folder}")
        import pandas as pd

        return pd.concat([read_table(f) for f in files], ignore_index=True)

    def data_sha256(self) -> str:
        files = self.data_files
        if files == [self.data_path]:
            return _file_sha256(self.data_path)
        # A glob: the hash of each file under its name, so that renaming or changing any part shows.
        parts = [f"{f.relative_to(self.folder)}\0{_file_sha256(f)}\n" for f in files]
        return hashlib.sha256("".join(parts).encode()).hexdigest()

    def config_sha256(self) -> str:
        return hashlib.sha256((self.folder / "initiative.yaml").read_bytes()).hexdigest()


def _file_sha256(path: Path) -> str:
    """SHA-256 of a file read in blocks: a 10 GB administrative extract is never held in memory."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _unknown_keys(section: dict, allowed: set, where: str) -> list[str]:
    problems = []
    for key in section:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(sorted(allowed))}"
            problems.append(f"{where}{key}: unknown key{hint}")
    return problems


def _check_flows(flows: Any, where: str) -> list[str]:
    if flows in (None, {}):
        return []
    if not isinstance(flows, dict):
        return [f"{where}: must map a category to {{year: amount}} (got {type(flows).__name__})"]
    problems = []
    for cat, by_year in flows.items():
        if not isinstance(by_year, dict) or not by_year:
            problems.append(f"{where}.{cat}: must map years to amounts, e.g. {{0: 100000}}")
            continue
        for year, amount in by_year.items():
            if not isinstance(year, int) or year < 0:
                problems.append(f"{where}.{cat}: year {year!r} must be a whole number >= 0")
            if isinstance(amount, bool) or not isinstance(amount, (int, float)):
                problems.append(f"{where}.{cat}.{year}: amount {amount!r} must be a number")
    return problems


def _check_report(report: Any) -> list[str]:
    if report is None:
        return []
    if not isinstance(report, dict):
        return [f"report: must be a mapping, e.g. {{min_cell_size: 11}} (got {report!r})"]
    problems = _unknown_keys(report, {"min_cell_size"}, "report.")
    size = report.get("min_cell_size", 11)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        problems.append(f"report.min_cell_size: must be a whole number of at least 1, e.g. 11 (got {size!r})")
    return problems


def _check_cost_signs(costs: Any) -> list[str]:
    """Costs are entered as positive amounts; a category of negative amounts only is a sign error (the appraisal refuses it)."""
    if not isinstance(costs, dict):
        return []
    problems = []
    for cat, by_year in costs.items():
        amounts = [a for a in (by_year.values() if isinstance(by_year, dict) else [])
                   if isinstance(a, (int, float)) and not isinstance(a, bool)]
        if amounts and all(a <= 0 for a in amounts) and any(a < 0 for a in amounts):
            problems.append(f"cost_benefit.costs.{cat}: holds only negative amounts; enter costs as positive amounts "
                            "(savings belong among the benefits)")
    return problems


def validate_initiative(config: Any, folder: Path | None = None, check_data: bool = True) -> list[str]:
    """Every problem in an initiative configuration, each prefixed with its location.

    With ``check_data`` and a ``folder``, also reads the data file and checks
    that the named columns exist and that the panel is usable.
    """
    return _validate(config, folder, check_data)[0]


def _validate(config: Any, folder: Path | None, check_data: bool) -> tuple[list[str], Any]:
    """:func:`validate_initiative`'s problems, and the data as read by the data checks (None if not read)."""
    if not isinstance(config, dict):
        return ["initiative.yaml: must be a mapping of keys to values"], None
    # Texts may be given by language; the checks below see them resolved, as the report will.
    problems = check_texts(config)
    config = localise_config(config)
    problems += _unknown_keys(config, _TOP, "")
    for key in ("id", "title", "data"):
        if config.get(key) is None:
            problems.append(f"{key}: required key is missing (see templates/initiative.yaml)")
    if config.get("id") is not None and not (isinstance(config["id"], str) and _ID.match(config["id"])):
        problems.append(f"id: {config['id']!r} must be lowercase letters, digits, '-' or '_' (at most 64)")
    from impact.report.i18n import languages

    if config.get("language", "en") not in languages():
        problems.append(f"language: {config['language']!r} has no catalogue; use one of "
                        f"{', '.join(map(repr, languages()))} (templates/locale/README.md says how to add one)")
    if config.get("title") is not None and not (isinstance(config["title"], str) and config["title"].strip()):
        problems.append(f"title: must be a text, e.g. \"Digital housing applications\" (got {config['title']!r})")
    for key in ("description", "owner"):
        if config.get(key) is not None and not isinstance(config[key], str):
            problems.append(f"{key}: must be a text (got {config[key]!r})")
    problems += _check_report(config.get("report"))

    data = config.get("data")
    if data is not None and not isinstance(data, dict):
        problems.append("data: must be a mapping (file, outcome, unit, time, ...)")
        data = None
    if isinstance(data, dict):
        problems += _unknown_keys(data, _DATA, "data.")
        for key in ("file", "outcome", "unit", "time"):
            if not data.get(key):
                problems.append(f"data.{key}: required key is missing")
        for key in ("file", *_ROLES):
            if data.get(key) is not None and not (isinstance(data[key], str) and data[key].strip()):
                problems.append(f"data.{key}: must be a {'file name' if key == 'file' else 'column name'} (got {data[key]!r})")
        covariates = data.get("covariates")
        if covariates is not None and not (isinstance(covariates, list) and all(isinstance(c, str) for c in covariates)):
            problems.append(f"data.covariates: must be a list of column names (got {covariates!r})")
        if not isinstance(data.get("panel", True), bool):
            problems.append(f"data.panel: must be true or false (got {data['panel']!r})")
        problems += _check_periods(data)

    design = config.get("design") or {}
    if not isinstance(design, dict):
        problems.append("design: must be a mapping")
        design = {}
    problems += _unknown_keys(design, _DESIGN, "design.")
    estimator = design.get("estimator", "twfe")
    if estimator not in ESTIMATORS:
        close = difflib.get_close_matches(str(estimator), ESTIMATORS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(ESTIMATORS)}"
        problems.append(f"design.estimator: unknown estimator {estimator!r}; {hint}")
    robustness = design.get("robustness") or []
    if not isinstance(robustness, list):
        problems.append(f"design.robustness: must be a list of estimators, e.g. [event_study] (got {robustness!r})")
        robustness = []
    for other in robustness:
        if other not in ESTIMATORS:
            problems.append(f"design.robustness: unknown estimator {other!r}; use one of {', '.join(ESTIMATORS)}")
    if not isinstance(design.get("options") or {}, dict):
        problems.append(f"design.options: must be a mapping of estimator options (got {design['options']!r})")
    window = design.get("event_window")
    if window is not None and not (isinstance(window, list) and len(window) == 2
                                   and all(isinstance(w, int) and not isinstance(w, bool) for w in window)
                                   and window[0] < window[1]):
        problems.append(f"design.event_window: must be two whole numbers [first, last], e.g. [-6, 12] (got {window!r})")
    seed = design.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        problems.append(f"design.seed: must be a whole number >= 0 (got {seed!r})")
    for key in ("treated_unit", "start"):
        if isinstance(design.get(key), (list, dict)):
            problems.append(f"design.{key}: must be a single value, a unit or a period (got {design[key]!r})")
    alpha = design.get("alpha", 0.05)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        problems.append(f"design.alpha: must be strictly between 0 and 1 (got {alpha!r})")
    if design.get("better", "lower") not in ("lower", "higher"):
        problems.append(f"design.better: must be 'lower' or 'higher' (got {design['better']!r})")
    if estimator == "synthetic_control" and (design.get("treated_unit") is None or design.get("start") is None):
        problems.append("design.treated_unit / design.start: synthetic_control needs both")
    if estimator in ("callaway_santanna", "event_study", "sun_abraham", "imputation") and isinstance(data, dict) and not data.get("cohort"):
        problems.append(f"data.cohort: estimator {estimator!r} needs the first treated period of each unit")
    if estimator in ("twfe", "synthetic_did") and isinstance(data, dict) and not (data.get("treatment") or data.get("cohort")):
        problems.append(f"data.treatment: estimator {estimator!r} needs a 0/1 treatment column or a cohort column")
    if estimator == "two_by_two" and isinstance(data, dict) and not ((data.get("treated") and data.get("post")) or data.get("cohort")):
        problems.append("data.treated / data.post: two_by_two needs 0/1 treated and post columns, or a cohort column")

    cba = config.get("cost_benefit")
    if cba is not None:
        if not isinstance(cba, dict):
            problems.append("cost_benefit: must be a mapping")
        else:
            problems += _unknown_keys(cba, _CBA, "cost_benefit.")
            if cba.get("rate") is None and cba.get("schedule") is None:
                problems.append("cost_benefit.rate / cost_benefit.schedule: give a discount rate or a named schedule")
            rate = cba.get("rate")
            if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1):
                problems.append(f"cost_benefit.rate: must be a number in [0, 1), e.g. 0.032 (got {rate!r})")
            problems += _check_flows(cba.get("costs"), "cost_benefit.costs")
            problems += _check_cost_signs(cba.get("costs"))
            problems += _check_flows(cba.get("benefits"), "cost_benefit.benefits")
            if not cba.get("costs"):
                problems.append("cost_benefit.costs: at least one cost category is needed")
            effect_benefits = cba.get("effect_benefits") or {}
            if not isinstance(effect_benefits, dict):
                problems.append("cost_benefit.effect_benefits: must map a category to {population, unit_value, years}")
                effect_benefits = {}
            if not isinstance(cba.get("monte_carlo") or {}, dict):
                problems.append(f"cost_benefit.monte_carlo: must be a mapping, e.g. {{n: 10000}} (got {cba['monte_carlo']!r})")
            if cba.get("currency") is not None and not isinstance(cba["currency"], str):
                problems.append(f"cost_benefit.currency: must be a currency code such as EUR (got {cba['currency']!r})")
            for cat, item in effect_benefits.items():
                for key in ("population", "unit_value", "years"):
                    if not isinstance(item, dict) or key not in item:
                        problems.append(f"cost_benefit.effect_benefits.{cat}.{key}: required key is missing")

    from impact.report.evaluation import check_evaluation  # indicators, feedback, case_study

    problems += check_evaluation(config, folder, check_data)
    # The data are checked even when the configuration has other problems, so that a user sees everything at once.
    checked = None
    if check_data and folder is not None and _data_checkable(data):
        found, checked = _check_data(Initiative(folder=folder, config=config))
        problems += found
    return problems, checked


_ROLES = ("outcome", "unit", "time", "cohort", "treatment", "count", "treated", "post")


def _check_periods(data: dict) -> list[str]:
    """``data.periods`` as :func:`impact.report.estimate.calendar_scale` will read it, checked on integer periods.

    Whether the time column really holds integers is known only from the data
    (the check of the run itself refuses ``data.periods`` on dates).
    """
    if data.get("periods") is None:
        return []
    from impact.periods import PeriodScale
    from impact.report.estimate import calendar_scale

    integers = PeriodScale(base="int", start=1, step=1, n=1, written="int", column=str(data.get("time")))
    try:
        calendar_scale(Initiative(folder=Path("."), config={"data": data}), integers)
    except ConfigError as exc:
        return [str(exc)]
    return []


def _data_checkable(data: Any) -> bool:
    return isinstance(data, dict) and all(isinstance(data.get(k), str) and data[k] for k in ("file", "outcome", "unit", "time"))


def _check_data(initiative: Initiative) -> tuple[list[str], Any]:
    """Problems of the data file, each with its location: unreadable, each missing column, an unusable panel.

    Also returns the data as read (the frame, or the statistics of a Parquet
    glob left on disk) when they pass, so that the run estimates from them
    without a second read; None when they fail.
    """
    from impact.data import check_columns, validate_panel

    spec = initiative.data_spec
    where = f"data ({spec['file']})"
    try:
        from impact.report.estimate import aggregate_data

        # A Parquet glob the report reads out of core: its statistics query checks the columns and the panel.
        agg = aggregate_data(initiative)
        if agg is not None:
            return [], agg
    except ImpactError as exc:
        return [f"{where}: {exc}"], None
    try:
        frame = initiative.read_data()
    except ImpactError as exc:
        return [f"{where}: {exc}"], None
    except OSError as exc:
        return [f"{where}: cannot read the file ({exc.strerror or exc})"], None
    # Only settings that are column names are checked here; the others are reported by validate_initiative.
    columns = {k: v for k in _ROLES if isinstance(v := spec.get(k), str) and v}
    covariates = [c for c in spec.get("covariates") or [] if isinstance(c, str)] if isinstance(spec.get("covariates"), list) else []
    named = [*columns.items()] + [("covariates", c) for c in covariates]
    problems = []
    for role, name in named:  # every missing column, not only the first
        try:
            check_columns(frame, **{role: name})
        except ImpactError as exc:
            problems.append(f"data.{role} ({spec['file']}): {exc}")
    if problems:
        return problems, None
    design = initiative.config.get("design") if isinstance(initiative.config.get("design"), dict) else {}
    options = design.get("options") if isinstance(design.get("options"), dict) else {}
    try:
        validate_panel(
            frame,
            spec["outcome"],
            spec["unit"],
            spec["time"],
            cohort=columns.get("cohort"),
            treatment=columns.get("treatment"),
            covariates=covariates,
            repeated_cross_section=spec.get("panel", True) is False,
            require_untreated=options.get("control") != "not_yet",
        )
    except ImpactError as exc:
        return [f"{where}: {exc}"], None
    return [], frame


def check_run(initiative: Initiative) -> tuple[list[str], list[str]]:
    """What ``impact run`` would refuse in a valid initiative, found by doing its steps without the notebook.

    Fits the headline estimator on the prepared data and builds the
    cost-benefit appraisal (with a short Monte Carlo run) exactly as the
    report does, so that an estimator's requirements (never-treated units
    for ``control: never``, the treated unit of a synthetic control, cohorts
    on the data's calendar) and the appraisal's (cost signs, schedules) are
    checked by the code that enforces them. Returns the problems, each with
    its location, and the warnings the run would print (dropped units, for
    example) as notes.
    """
    import warnings

    from impact.errors import ImpactWarning
    from impact.report.estimate import prepare, run_estimator
    from impact.report.sections import build_appraisal

    estimator = initiative.design.get("estimator", "twfe")
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ImpactWarning)
        try:
            result = run_estimator(initiative, prepare(initiative))
        except ImpactError as exc:
            problems.append(f"design.estimator ({estimator}) on {initiative.data_spec['file']}: {exc}")
            result = None
        except TypeError as exc:  # an option the estimator does not take
            problems.append(f"design.options: {exc}; see the estimator's documentation for its options")
            result = None
        cba = initiative.cost_benefit
        if cba and result is not None:
            try:
                appraisal = build_appraisal(initiative, result)
                mc = cba.get("monte_carlo") or {}
                appraisal.monte_carlo(n=200, seed=0, uncertain=mc.get("uncertain") if isinstance(mc, dict) else None)
            except ImpactError as exc:
                problems.append(f"cost_benefit: {exc}")
    notes = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, ImpactWarning)))
    return problems, notes


def load_initiative(path: str | Path, check_data: bool = False, lang: str | None = None) -> Initiative:
    """Load ``initiative.yaml`` from a folder (or the file itself) and validate it.

    Texts given by language (``title: {en: ..., fr: ...}``) are resolved for
    ``lang`` (default: the initiative's ``language:``), so that the returned
    configuration holds plain strings (:func:`impact.report.localise.localise_config`).

    Raises
    ------
    ConfigError
        Listing every problem found, each with its location.
    """
    path = Path(path)
    file = path / "initiative.yaml" if path.is_dir() else path
    if not file.is_file():
        raise ConfigError(f"no initiative.yaml in {str(path)!r}; create one with `impact new ID`")
    try:
        config = yaml.safe_load(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML ({exc})") from exc
    problems, checked = _validate(config, file.parent, check_data)
    if problems:
        raise ConfigError(f"{file}:\n  - " + "\n  - ".join(problems))
    return Initiative(folder=file.parent.resolve(), config=localise_config(config, lang), checked_data=checked)


def initiative_ident(folder: str | Path, lang: str | None = None) -> tuple[str, str]:
    """The id and title an initiative's outputs are filed under, even when its configuration is invalid.

    Reads ``initiative.yaml`` leniently: a valid ``id`` is used (so a failing
    re-run lands beside the last good report), otherwise the folder's name;
    never a path with separators, whatever the file holds.
    """
    folder = Path(folder).resolve()
    ident, title = folder.name or "initiative", folder.name or "initiative"
    try:
        config = yaml.safe_load((folder / "initiative.yaml").read_text(encoding="utf-8"))
    except Exception:  # unreadable or not YAML: the run itself reports why
        return ident, title
    if isinstance(config, dict):
        if isinstance(config.get("id"), str) and _ID.match(config["id"]):
            ident = title = config["id"]
        language = config.get("language") if isinstance(config.get("language"), str) else None
        text = localise(config.get("title"), lang, language)
        if isinstance(text, str) and text.strip():
            title = text
    return ident, title


def validate_folder(path: str | Path) -> tuple[list[str], list[str]]:
    """Everything ``impact validate`` reports for one initiative: every problem with its location, and notes.

    Configuration and data are checked together; when both are valid, the
    run's own steps are tried (:func:`check_run`). Never raises for what the
    folder holds.
    """
    path = Path(path)
    file = path / "initiative.yaml" if path.is_dir() else path
    if not file.is_file():
        return [f"no initiative.yaml in {str(path)!r}; create one with `impact new ID`"], []
    try:
        config = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return [f"initiative.yaml: not valid YAML in UTF-8 ({exc})"], []
    except OSError as exc:
        return [f"initiative.yaml: cannot be read ({exc.strerror or exc})"], []
    try:
        problems, checked = _validate(config, file.parent, check_data=True)
        if problems:
            return problems, []
        # The run's steps start from the data the checks read: one read (or one scan of a glob), not two.
        return check_run(Initiative(folder=file.parent.resolve(), config=localise_config(config), checked_data=checked))
    except Exception as exc:  # a bug: say so rather than stop the other folders
        return [f"internal error while checking ({type(exc).__name__}: {exc}); please report it"], []


def find_initiatives(paths: list[str | Path]) -> list[Path]:
    """Initiative folders under the given paths: a folder with initiative.yaml, or a folder of such folders."""
    found: list[Path] = []
    for p in map(Path, paths):
        if (p / "initiative.yaml").is_file():
            found.append(p)
        elif p.is_file() and p.name == "initiative.yaml":
            found.append(p.parent)
        elif p.is_dir():
            found += sorted(q.parent for q in p.glob("*/initiative.yaml"))
        else:
            raise ConfigError(f"{str(p)!r} is neither an initiative folder nor a folder of initiatives")
    return list(dict.fromkeys(found))
