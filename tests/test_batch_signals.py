"""Stopping `impact run` with SIGTERM or SIGINT kills its workers and their notebook kernels, and says so.

Each worker runs in a session of its own (so that a timeout can kill its group), and jupyter_client starts the
kernel in yet another session: a signal to the CLI alone reached neither. The notebook here only sleeps, so
each case takes the few seconds a kernel needs to start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")
nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
HOUSING = ROOT / "data" / "initiatives" / "housing-digital"


def _sleepy_notebook(folder: Path) -> tuple[Path, Path]:
    """A report notebook with the shipped parameters that writes its kernel's pid, then sleeps."""
    pidfile = folder / "kernel.pid"
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("initiative = None\nlang = None\nsummary_path = None\nseed = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        f"import os, pathlib, time\npathlib.Path({str(pidfile)!r}).write_text(str(os.getpid()))\ntime.sleep(120)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "sleepy.ipynb"
    nbformat.write(nb, path)
    return path, pidfile


def _gone(process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_impact_run_kills_its_workers_and_kernels(tmp_path, signum):
    notebook, pidfile = _sleepy_notebook(tmp_path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "impact.cli", "run", str(HOUSING), "--out", str(out), "--quiet",
           "--notebook", str(notebook)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    below = []
    try:
        deadline = time.monotonic() + 120
        while not (pidfile.is_file() and pidfile.read_text()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the notebook never started"
            time.sleep(0.1)
        kernel = psutil.Process(int(pidfile.read_text()))
        below = psutil.Process(proc.pid).children(recursive=True)
        assert kernel in below and len(below) >= 2  # the worker and, in a session of its own, its kernel
        assert os.getsid(kernel.pid) != os.getsid(proc.pid)  # why killing the worker's group was not enough
        os.kill(proc.pid, signum)  # the CLI alone, as a service manager or Ctrl-C in a terminal would
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 128 + signum
        assert f"interrupted by {signal.Signals(signum).name}: stopped 1 running initiative" in err
        assert all(_gone(p) for p in below), [p for p in below if not _gone(p)]
        # A stopped run records nothing: no summary marked failed or ok, no temporary files left behind.
        folder = out / "housing-digital"
        assert not (folder / "summary.json").exists()
        if folder.exists():
            assert not [p.name for p in folder.glob(".*")]
    finally:
        for p in below:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
