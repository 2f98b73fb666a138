"""Out-of-core estimation: estimators straight from Parquet/CSV files via sufficient statistics.

:func:`impact.did.callaway_santanna`, :func:`~impact.did.twfe`,
:func:`~impact.did.event_study` and :func:`~impact.did.two_by_two` accept,
in place of a DataFrame, a path or glob of Parquet/CSV files, a DuckDB
relation, a :func:`source` (to set ``memory_limit`` and the spill directory)
or statistics computed once with :func:`panel_statistics` and saved with
:func:`save_statistics`. See :mod:`impact.scale.stats` for the statistics and
:mod:`impact.scale.estimators` for why the results are exact.
"""

from impact.scale.io import load_statistics, save_statistics
from impact.scale.source import Source, default_memory_limit, is_out_of_core, source
from impact.scale.stats import CellStats, Engine, PanelStats, cell_statistics, panel_statistics, to_dialect

__all__ = [
    "CellStats",
    "Engine",
    "PanelStats",
    "Source",
    "cell_statistics",
    "default_memory_limit",
    "is_out_of_core",
    "load_statistics",
    "panel_statistics",
    "save_statistics",
    "source",
    "to_dialect",
]
