"""The package list, which pyproject.toml cannot express: every package under src/ plus two mapped folders.

``[tool.setuptools.package-dir]`` in pyproject.toml maps ``impact._notebooks`` to ``notebooks/`` and
``impact._templates`` to ``templates/``, so the wheel ships them without moving them. Automatic discovery
(``[tool.setuptools.packages.find]``) cannot add mapped packages, so discovery happens here; each
sub-folder of a mapped folder is listed too, as setuptools wants for data folders. Everything else about
the build is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup


def _mapped(package: str, folder: str) -> list[str]:
    return [package, *(f"{package}.{sub}" for sub in find_namespace_packages(folder, exclude=["*__pycache__*"]))]


setup(packages=[*find_namespace_packages("src", include=["impact", "impact.*"], exclude=["*__pycache__*"]),
                *_mapped("impact._notebooks", "notebooks"), *_mapped("impact._templates", "templates")])
