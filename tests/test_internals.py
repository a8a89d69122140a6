"""Canaries for the private internals of other libraries (``mnist_estimators._internals``).

Each entry of the table is looked for where the package finds it; an upgrade that moves
one fails here with the entry's name. Entries of a library this venv lacks (TensorFlow
in the JAX venv, PyTorch in the TensorFlow one) are skipped with that reason: each runs
in one of CI's venvs. A second test keeps the table complete: every private import in
the package's source must be listed.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from mnist_estimators._internals import INTERNALS, PrivateInternalError, resolve

PACKAGE = Path(__file__).resolve().parents[1] / "mnist_estimators"
#: The module each library is imported as.
MODULES = {"scikit-learn": "sklearn"}
#: The libraries whose private names the package may use only through the table.
OTHER_LIBRARIES = ("keras", "tensorflow", "torch", "jax", "scikeras", "sklearn", "joblib")


@cache
def _probe(name: str):
    """An object that has the instance attributes of one kind of entry."""
    from mnist_estimators import CNNClassifier, load_digits_images

    if name == "tensorflow context":
        return resolve("tensorflow.python.eager.context.context")()
    X, y = load_digits_images(return_X_y=True)
    est = CNNClassifier(filters=2, dense_units=4, epochs=1, random_state=0).fit(X[:60] / 16, y[:60])
    return {
        "fitted classifier": est,
        "compiled model": est.model_,
        "optimizer": est.model_.optimizer,
    }[name]


@pytest.mark.parametrize("entry", INTERNALS, ids=[e.symbol for e in INTERNALS])
def test_each_private_internal_is_still_there(entry):
    module = MODULES.get(entry.library, entry.library)
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{entry.library} is not installed in this venv")
    if entry.library == "tensorflow":
        from mnist_estimators._keras.runtime import BACKEND

        if BACKEND.name != "tensorflow":
            pytest.skip("TensorFlow's internals are used on the TensorFlow backend only")
    if entry.probe:
        holder = _probe(entry.probe)
        assert hasattr(holder, entry.attribute), (
            f"{entry.symbol}: {type(holder).__name__} has no attribute {entry.attribute!r} "
            f"any more (used in {', '.join(entry.used_in)}: {entry.why})"
        )
    else:
        assert resolve(entry.symbol) is not None, entry.symbol


def test_a_moved_internal_fails_with_its_name(monkeypatch):
    import mnist_estimators._internals as internals

    moved = internals.Internal(
        "sklearn.utils.validation._gone_in_a_release", "scikit-learn", (), "a test"
    )
    monkeypatch.setitem(internals._BY_SYMBOL, moved.symbol, moved)
    with pytest.raises(
        PrivateInternalError, match=r"sklearn\.utils\.validation\._gone_in_a_release"
    ):
        resolve(moved.symbol)
    with pytest.raises(KeyError):
        resolve("sklearn.utils.validation.not_in_the_table")


def test_each_entry_names_the_modules_that_use_it():
    for entry in INTERNALS:
        for module in entry.used_in:
            text = (PACKAGE / module).read_text()
            assert entry.attribute in text, f"{entry.symbol} is not used in {module} any more"


def _private_imports(path: Path) -> set[str]:
    """``X.Y._z`` for every import of a private module or name of another library."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] in OTHER_LIBRARIES and any(
                p.startswith("_") or p == "src" or p == "python" for p in parts[1:]
            ):
                found.add(name)
    return found


def test_every_private_import_of_the_package_is_in_the_table():
    listed = {entry.symbol for entry in INTERNALS}
    strings = set()
    for path in PACKAGE.rglob("*.py"):
        strings |= set(re.findall(r'resolve\(\s*"([^"]+)"', path.read_text()))
        unlisted = {
            name for name in _private_imports(path)
            if not any(name == s or name.startswith(f"{s}.") or s.startswith(f"{name}.") for s in listed)
        }  # fmt: skip
        assert not unlisted, f"{path.relative_to(PACKAGE)} imports {sorted(unlisted)}: list them"
    assert strings <= listed, sorted(strings - listed)


def test_resolve_finds_the_object_and_its_holder():
    from sklearn.utils import validation

    assert resolve("sklearn.utils.validation._num_samples") is validation._num_samples
    assert resolve("sklearn.utils.validation._num_samples", module=True) is validation
    assert resolve("sklearn.utils.validation._num_samples")(np.zeros((3, 2))) == 3
