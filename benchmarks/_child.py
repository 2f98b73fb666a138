"""Run one benchmark task in a fresh Python process, so its time and peak memory are its own."""

from __future__ import annotations

import json
import subprocess
import sys


def run_child(script: str, args: list[str], timeout: float) -> dict:
    """``python script --child ...args``: the JSON its last output line holds, or ``{"error": ...}``."""
    cmd = [sys.executable, script, "--child", *args]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or "").strip().splitlines()[-1:] or ["failed"]
        return {"error": last[0][:120]}
