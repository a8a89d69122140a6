"""Intersphinx inventories written from the installed packages, for offline builds.

The machines that build these docs reach no web site but the package registries,
so intersphinx cannot download ``objects.inv`` from scikit-learn, NumPy, pandas or
Keras. This module writes equivalent inventories (Sphinx's version-2 format) from
the public names of the installed packages, pointing at the pages those projects
publish for them, so ``:class:`sklearn.pipeline.Pipeline``` and friends become links
to the real documentation. Keras publishes no Sphinx inventory at all; its few
names that our docs use are mapped by hand to keras.io.
"""

from __future__ import annotations

import importlib
import inspect
import zlib
from pathlib import Path

#: project -> (base URL, function giving the page of a public name)
_PROJECTS = {
    "sklearn": (
        "https://scikit-learn.org/stable/",
        lambda name: f"modules/generated/{name}.html#{name}",
    ),
    "numpy": (
        "https://numpy.org/doc/stable/",
        lambda name: f"reference/generated/{name}.html#{name}",
    ),
    "pandas": (
        "https://pandas.pydata.org/docs/",
        lambda name: f"reference/api/{name}.html#{name}",
    ),
}

_KERAS = {
    "keras.Model": ("py:class", "api/models/model/"),
    "keras.layers.LSTM": ("py:class", "api/layers/recurrent_layers/lstm/"),
    "keras.layers.Conv2D": ("py:class", "api/layers/convolution_layers/convolution2d/"),
    "keras.callbacks.Callback": ("py:class", "api/callbacks/base_callback/"),
    "keras.optimizers.schedules.LearningRateSchedule": (
        "py:class",
        "api/optimizers/learning_rate_schedules/",
    ),
}


def _public_names(package: str) -> list[tuple[str, str]]:
    """(dotted name, role) of the public classes and functions of a package's modules."""
    top = importlib.import_module(package)
    modules = [package] + [
        f"{package}.{m}" for m in getattr(top, "__all__", []) if not m.startswith("_")
    ]
    if package == "pandas":
        modules = ["pandas"]
    names = []
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for attr in getattr(module, "__all__", dir(module)):
            if attr.startswith("_"):
                continue
            try:
                obj = getattr(module, attr, None)
            except ImportError:  # e.g. scikit-learn's experimental names
                continue
            if inspect.isclass(obj):
                names.append((f"{module_name}.{attr}", "py:class"))
            elif callable(obj):
                names.append((f"{module_name}.{attr}", "py:function"))
    return names


def _write(path: Path, project: str, entries: list[tuple[str, str, str]]) -> None:
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        "# Version: installed\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    body = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in entries).encode()
    path.write_bytes(header + zlib.compress(body))


def write_inventories(folder: Path) -> dict[str, tuple[str, str]]:
    """Write the inventories into ``folder``; return an ``intersphinx_mapping``."""
    folder.mkdir(parents=True, exist_ok=True)
    mapping = {}
    for package, (base, page) in _PROJECTS.items():
        entries = [(name, role, page(name)) for name, role in _public_names(package)]
        path = folder / f"{package}.inv"
        _write(path, package, entries)
        mapping[package] = (base, str(path))
    path = folder / "keras.inv"
    _write(path, "keras", [(name, role, uri) for name, (role, uri) in _KERAS.items()])
    mapping["keras"] = ("https://keras.io/", str(path))
    return mapping
