"""Package layout; everything else is in pyproject.toml.

The templates stay in the top-level `templates/` folder that people edit and recognise; in
the wheel they become package `wiki.templates`, its data listed in pyproject.toml
(`wiki.render` looks for that first, then for the source checkout's folder).
pyproject.toml alone cannot add a mapped package to the ones `find` discovers, hence
this file.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["wiki*", "jepa_ref*"]), "wiki.templates"],
    package_dir={"wiki.templates": "templates"},
)
