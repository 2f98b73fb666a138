"""Turn an executed report notebook into a self-contained HTML page (and optionally PDF).

Uses nbconvert's HTMLExporter with the project's template
(``templates/nbconvert/impact``): no code, no prompts, figures embedded as
data URIs, cells tagged ``remove`` left out.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nbformat costs ~1.7 s to import; the CLI's --help and validate never need it
    import nbformat

__all__ = ["to_html", "to_pdf", "TEMPLATES", "shipped_folder"]


def shipped_folder(name: str) -> Path:
    """The folder of package data ``name`` ("notebooks" or "templates"), wherever impact is installed.

    A wheel ships the repository's ``notebooks/`` and ``templates/`` as the
    data-only packages ``impact._notebooks`` and ``impact._templates`` (see
    ``[tool.setuptools.package-dir]`` in pyproject.toml). In a source checkout
    installed in editable mode those packages are not importable, and the
    folders beside ``src/`` are used instead.
    """
    try:
        spec = importlib.util.find_spec(f"impact._{name}")
    except ImportError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[3] / name


#: Project templates: ``initiative.yaml``, ``data_template.csv``, ``nbconvert/`` and whatever else ships there.
TEMPLATES = shipped_folder("templates")


def _exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        extra_template_basedirs=[str(TEMPLATES / "nbconvert")],
        template_name="impact",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"remove"}, enabled=True), enabled=True)
    return exporter


def to_html(notebook: nbformat.NotebookNode, title: str, lang: str = "en") -> str:
    """HTML text of an executed notebook, code and prompts removed."""
    body, _ = _exporter().from_notebook_node(notebook, resources={"impact_title": title, "impact_lang": lang})
    return body


def to_pdf(html_path: Path, pdf_path: Path) -> bool:
    """Print the HTML report to PDF with a headless Chromium when one is installed; False otherwise."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        return False
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           f"--print-to-pdf={pdf_path}", "--no-pdf-header-footer", html_path.resolve().as_uri()]
    try:
        subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    except (OSError, subprocess.SubprocessError):
        return False
    return pdf_path.is_file()
