"""A built wheel, installed outside the source tree, runs `impact new`, `validate` and `run` from any directory.

The wheel is built from a copy of the sources (so nothing is written into the working tree) without build
isolation (offline: the dev extra brings a setuptools that reads ``license = "MIT"``), installed with
``pip install --no-deps --target DIR`` (the dependencies are those of the test environment) and run with
``PYTHONPATH=DIR`` from a temporary folder, checking that ``impact`` is imported from DIR.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("src", "notebooks", "templates", "pyproject.toml", "setup.py", "README.md")
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints", "build", "dist")

pytestmark = pytest.mark.slow


def _setuptools_reads_spdx_licence() -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("setuptools").split(".")[0]) >= 77
    except (PackageNotFoundError, ValueError):
        return False


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if not _setuptools_reads_spdx_licence():
        pytest.skip("needs setuptools>=77 (the dev extra) to build the wheel offline")
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=JUNK)
        else:
            shutil.copy(path, source / name)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(base / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    wheel = next((base / "dist").glob("impact-*.whl"))
    target = base / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--target",
                              str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]
    return wheel, target, build.stdout + build.stderr, install.stdout + install.stderr, source


def test_build_and_install_print_no_deprecation_warning(installed):
    _, _, build_log, install_log, _ = installed
    for log in (build_log, install_log):
        assert "SetuptoolsDeprecationWarning" not in log and "License classifiers are deprecated" not in log
        assert "is absent from the `packages` configuration" not in log


def test_wheel_ships_notebooks_and_every_template(installed):
    wheel, *_ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"impact/_notebooks/evaluation.ipynb", "impact/_notebooks/design.ipynb"} <= names
    # every file under templates/, including those added after this test was written (catalogues, Jinja2 pages)
    templates = {f"impact/_templates/{p.relative_to(ROOT / 'templates').as_posix()}"
                 for p in (ROOT / "templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert templates and templates <= names, sorted(templates - names)
    modules = {f"impact/{p.relative_to(ROOT / 'src' / 'impact').as_posix()}"
               for p in (ROOT / "src" / "impact").rglob("*.py") if "__pycache__" not in p.parts}
    assert modules <= names, sorted(modules - names)


def test_installed_wheel_runs_new_validate_and_run_from_any_folder(installed, tmp_path):
    _, target, *_ = installed
    env = {**os.environ, "PYTHONPATH": str(target), "MPLBACKEND": "Agg"}

    def impact(*args, timeout=240):
        return subprocess.run([sys.executable, "-m", "impact.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=timeout)

    where = subprocess.run([sys.executable, "-c", "import impact; print(impact.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(target), where.stdout + where.stderr
    made = impact("new", "pilot", "--dir", ".")
    assert made.returncode == 0, made.stderr
    checked = impact("validate", "pilot")
    assert checked.returncode == 0 and checked.stdout.startswith("ok"), checked.stdout + checked.stderr
    ran = impact("run", "pilot", "--out", "out", "--quiet")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    summary = json.loads((tmp_path / "out" / "pilot" / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["estimate"] is not None
    assert (tmp_path / "out" / "pilot" / "report.html").stat().st_size > 10_000
    assert (tmp_path / "out" / "index.html").is_file()


def test_editable_install_reads_the_source_folders(installed, tmp_path):
    """`pip install -e .` (what make does) maps nothing into impact/: the folders beside src/ are used."""
    *_, source = installed
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = next(venv.glob("lib/python*/site-packages"))
    # the test environment's packages stand in for the dependencies
    (site / "zz_test_env.pth").write_text(next(p for p in sys.path if p.endswith("site-packages")) + "\n")
    python = venv / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "--no-build-isolation", "-e", str(source)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    code = ("import impact, impact.report.execute as x, impact.report.export as e; "
            "print(impact.__file__); print(e.TEMPLATES); print(x.NOTEBOOK)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    shown = subprocess.run([str(python), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    module, templates, notebook = map(Path, shown.stdout.split())
    assert module == source / "src" / "impact" / "__init__.py"
    assert templates == source / "templates" and notebook == source / "notebooks" / "evaluation.ipynb"
    made = subprocess.run([str(python), "-m", "impact.cli", "new", "pilot", "--dir", "."], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0 and (tmp_path / "pilot" / "data.csv").is_file(), made.stderr
