"""Finds intulse_desktop.resources where the source tree keeps it: the top-level resources/ folder.

pyproject.toml installs that folder as intulse_desktop.resources (package-dir), but
PyInstaller reads the package from the source tree (the spec's pathex), where it is
not inside intulse_desktop/. An installed copy has it in place and needs no help.
"""

from pathlib import Path


def pre_find_module_path(api):
    package = api.module_graph.find_node("intulse_desktop")
    top = Path(package.filename).parent.parent
    if (top / "resources" / "__init__.py").is_file():
        api.search_dirs = [str(top)]
