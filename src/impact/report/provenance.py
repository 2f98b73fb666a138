"""Provenance of a report: what data, code and settings produced it."""

from __future__ import annotations

import datetime as dt
import subprocess
from importlib import metadata
from pathlib import Path

__all__ = ["provenance", "git_commit", "PACKAGES"]

PACKAGES = ("impact", "numpy", "pandas", "scipy", "statsmodels", "linearmodels", "matplotlib", "seaborn", "papermill",
            "nbconvert")


def git_commit(path: Path) -> str | None:
    """The commit of the repository holding ``path`` (with '+dirty' if modified), or None outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=path,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def provenance(initiative, seed=None, parameters: dict | None = None) -> dict:
    """Data and configuration SHA-256, package versions, commit, seed, parameters and time."""
    return {
        "data_file": initiative.data_spec["file"],
        "data_sha256": initiative.data_sha256(),
        "config_sha256": initiative.config_sha256(),
        "versions": {name: _version(name) for name in PACKAGES},
        "commit": git_commit(initiative.folder),
        "seed": seed,
        "parameters": parameters or {},
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
