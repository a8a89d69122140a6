"""The module paths of version 0.1, kept importable after the move into wings.

Version 0.2 moved the modules into ``estimators/``, ``_keras/``, ``evaluation/`` and
``reporting/``. :data:`MOVED` is the one table of where each old module's names
live now: ``import mnist_estimators.search`` (or ``from mnist_estimators.result
import pareto_front``, or unpickling an object saved under an old path) gives a
module that reads every name from its new home, so the objects are the same ones.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types

__all__ = ["MOVED", "install"]

_P = "mnist_estimators"

#: Old module -> the modules that now hold its names, searched in order.
MOVED: dict[str, tuple[str, ...]] = {
    f"{_P}.base": (f"{_P}.estimators.base",),
    f"{_P}.cnn": (f"{_P}.estimators.cnn",),
    f"{_P}.lstm": (f"{_P}.estimators.lstm",),
    f"{_P}.preprocessing": (f"{_P}.estimators.preprocessing",),
    f"{_P}.pipelines": (f"{_P}.estimators.pipelines",),
    f"{_P}._validation": (f"{_P}.estimators._validation",),
    f"{_P}._compat": (f"{_P}.estimators._compat",),
    f"{_P}._tf": (f"{_P}._keras.runtime",),
    f"{_P}.layers": (f"{_P}._keras.layers",),
    f"{_P}.schedules": (f"{_P}._keras.schedules",),
    f"{_P}.callbacks": (f"{_P}._keras.callbacks",),
    f"{_P}.scoring": (f"{_P}.evaluation.scoring",),
    f"{_P}.stats": (f"{_P}.evaluation.stats",),
    f"{_P}.parallel": (f"{_P}.evaluation.parallel",),
    f"{_P}.comparison": (
        f"{_P}.evaluation.compare",
        f"{_P}.evaluation.folds",
        f"{_P}.evaluation.store",
    ),
    f"{_P}.search": (f"{_P}.evaluation.search",),
    f"{_P}.result": (
        f"{_P}.evaluation.result",
        f"{_P}.evaluation.scoring",
        f"{_P}.evaluation.folds",
    ),
    f"{_P}._storage": (f"{_P}._files", f"{_P}.evaluation.store"),
    f"{_P}.report": (f"{_P}.reporting.report",),
    f"{_P}.figures": (f"{_P}.reporting.figures",),
}


def _forwarding_module(name: str, targets: tuple[str, ...]) -> types.ModuleType:
    homes = [importlib.import_module(t) for t in targets]
    module = types.ModuleType(name, homes[0].__doc__)
    public = [n for home in homes for n in getattr(home, "__all__", ())]

    def __getattr__(attr: str):
        for home in homes:
            if hasattr(home, attr):
                return getattr(home, attr)
        raise AttributeError(f"module {name!r} (now {targets[0]!r}) has no attribute {attr!r}")

    def __dir__():
        return sorted({n for home in homes for n in dir(home)})

    module.__getattr__ = __getattr__
    module.__dir__ = __dir__
    module.__all__ = list(dict.fromkeys(public))
    return module


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        module = _forwarding_module(spec.name, MOVED[spec.name])
        module.__spec__ = spec
        return module

    def exec_module(self, module) -> None:
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, _Loader())
        return None


def install() -> None:
    """Make the old module paths importable (once per process)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
