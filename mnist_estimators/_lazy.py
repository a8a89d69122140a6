"""Lazy package attributes: a name's module is imported on first use of the name.

Keeps ``import mnist_estimators`` (and the command line's help) free of TensorFlow
until a name that needs it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: dict[str, str], namespace: dict
) -> tuple[Callable, Callable]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` for ``exports`` (name -> submodule).

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict of str -> str
        Each lazy name and the submodule (relative to ``package``) that defines it.
    namespace : dict
        The package's ``globals()``: a name is cached there once loaded.
    """

    def __getattr__(name: str):
        if name in exports:
            value = getattr(importlib.import_module(f".{exports[name]}", package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
