"""Every private internal of another library that the package uses, in one table.

Keras, TensorFlow, PyTorch, scikeras, scikit-learn and joblib promise nothing about
their private names: an upgrade may move or remove any of them. The package uses a
few, each for a reason given in :data:`INTERNALS`, and reaches the importable ones
through :func:`resolve`, so that a moved one fails with its own name. A canary test
(``tests/test_internals.py``) finds every entry, on each backend's CI venv, and fails
with the entry's name when an upgrade has moved it; another checks that every
private import in the package is listed here.

This module imports nothing beyond the standard library: a library is imported
only when one of its entries is resolved.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache

__all__ = ["INTERNALS", "Internal", "PrivateInternalError", "resolve"]


class PrivateInternalError(ImportError):
    """A private internal of another library that the package relies on has moved."""


@dataclass(frozen=True)
class Internal:
    """One private name of another library that the package uses.

    Parameters
    ----------
    symbol : str
        Its dotted path: a module, a module attribute, or ``Class.attribute``.
    library : str
        The distribution it belongs to (the canary test skips it where that is not
        installed, e.g. TensorFlow in the JAX venv).
    used_in : tuple of str
        The package's modules that use it (relative to ``mnist_estimators``).
    why : str
        What it is used for, and why no public name does.
    probe : str, default=""
        Empty when :func:`resolve` finds it by import and ``getattr``; else the
        object the canary test looks for it on: ``"fitted classifier"``,
        ``"compiled model"``, ``"optimizer"`` or ``"tensorflow context"``
        (an attribute set on instances only).
    """

    symbol: str
    library: str
    used_in: tuple[str, ...]
    why: str
    probe: str = ""

    @property
    def attribute(self) -> str:
        """The last part of the symbol: the name looked up on the probe object."""
        return self.symbol.rsplit(".", 1)[-1]


INTERNALS: tuple[Internal, ...] = (
    # -- Keras -------------------------------------------------------------------------
    Internal(
        "keras.src.random.seed_generator.python_random",
        "keras",
        ("_keras/runtime.py",),
        "Keras draws the seeds of layers built without one from Python's global random "
        "module; replaced once by a per-thread stand-in, so a seeded build neither touches "
        "nor races on the global generator.",
    ),
    Internal(
        "keras.src.backend.common.global_state.get_global_attribute",
        "keras",
        ("_keras/runtime.py",),
        "Keras' per-thread global state: the layer-name counters and the global seed "
        "generator, saved and restored around a build (clear_session would wipe all of it).",
    ),
    Internal(
        "keras.src.backend.common.global_state.set_global_attribute",
        "keras",
        ("_keras/runtime.py",),
        "The setter of the same per-thread state.",
    ),
    Internal(
        "keras.src.utils.module_utils.LazyModule",
        "keras",
        ("_keras/backends.py",),
        "Keras' lazy TensorFlow module asks 'is TensorFlow installed?' by importing it; "
        "its class is swapped once so that on JAX and PyTorch TensorFlow is never imported.",
    ),
    Internal(
        "keras.src.utils.module_utils.tensorflow",
        "keras",
        ("_keras/backends.py",),
        "The lazy TensorFlow module object whose class is swapped (above).",
    ),
    Internal(
        "keras.src.trainers.data_adapters.array_data_adapter.ArrayDataAdapter",
        "keras",
        ("_keras/data.py",),
        "Keras' adapter for in-memory arrays, subclassed so that the NumPy iterator (JAX) "
        "shuffles with the fit's own generator instead of NumPy's global one.",
    ),
    Internal(
        "keras.src.trainers.data_adapters.array_data_adapter.ArrayDataAdapter._get_iterator",
        "keras",
        ("_keras/data.py",),
        "The one method of that adapter that draws the NumPy permutation; overridden.",
    ),
    Internal(
        "keras.Model._symbolic_build",
        "keras",
        ("_keras/reuse.py",),
        "Builds a compiled network's optimizer and metrics before its first fit, as fit "
        "does; the JAX and PyTorch trainers otherwise drew a shuffle there.",
    ),
    Internal(
        "keras.Model.train_function",
        "keras",
        ("_keras/schedules.py",),
        "The traced training step, traced again when the cosine schedule changes.",
        probe="compiled model",
    ),
    Internal(
        "keras.Model.predict_function",
        "keras",
        ("_keras/runtime.py",),
        "The traced predict step, swapped for a one-batch one during predict.",
        probe="compiled model",
    ),
    Internal(
        "keras.optimizers.Optimizer._learning_rate",
        "keras",
        ("_keras/reuse.py", "_keras/schedules.py"),
        "The optimizer's learning-rate variable or schedule object: Keras has no public "
        "handle on the schedule itself.",
        probe="optimizer",
    ),
    # -- TensorFlow --------------------------------------------------------------------
    Internal(
        "tensorflow.python.eager.context.Context._seed",
        "tensorflow",
        ("_keras/backends.py",),
        "TensorFlow's global seed, set as tf.random.set_seed sets it in eager mode but "
        "without emptying the caches of traced functions (0.35 s of a reused fit).",
        probe="tensorflow context",
    ),
    Internal(
        "tensorflow.python.eager.context.Context._rng",
        "tensorflow",
        ("_keras/backends.py",),
        "The generator TensorFlow draws op seeds from, set with the global seed.",
        probe="tensorflow context",
    ),
    Internal(
        "tensorflow.python.eager.context.context",
        "tensorflow",
        ("_keras/backends.py",),
        "The eager context that holds the two attributes above.",
    ),
    Internal(
        "tensorflow.python.framework.ops._gradient_registry",
        "tensorflow",
        ("_keras/backends.py",),
        "The process-wide registry of gradient functions: each traced training step adds "
        "one that holds its whole graph (tensorflow/tensorflow#61791); removed after a fit.",
    ),
    Internal(
        "tensorflow.python.ops.rnn_grad",
        "tensorflow",
        ("_keras/backends.py",),
        "Importing it registers the gradient of the fused BlockLSTM kernel.",
    ),
    # -- JAX ---------------------------------------------------------------------------
    Internal(
        "jax._src.xla_bridge._backends",
        "jax",
        ("_keras/backends.py",),
        "Whether JAX's runtime has started (read from sys.modules, never imported): its "
        "thread and GPU-memory settings apply only before.",
    ),
    # -- PyTorch -----------------------------------------------------------------------
    Internal(
        "torch._VF.lstm",
        "torch",
        ("_keras/backends.py",),
        "PyTorch's fused LSTM kernel (what nn.LSTM runs), which Keras calls on CUDA only.",
    ),
    # -- scikeras (its subclassing hooks and state) ------------------------------------
    Internal(
        "scikeras.wrappers.BaseWrapper._fit_keras_model",
        "scikeras",
        ("estimators/base.py",),
        "scikeras' hook around model.fit, overridden: callbacks, schedule, shuffling.",
    ),
    Internal(
        "scikeras.wrappers.BaseWrapper._build_keras_model",
        "scikeras",
        ("estimators/_compat.py",),
        "scikeras' hook that builds the network, overridden to seed without tf.random.set_seed.",
    ),
    Internal(
        "scikeras.wrappers.BaseWrapper._validate_data",
        "scikeras",
        ("estimators/base.py",),
        "scikeras' validation hook, overridden with scikit-learn's validate_data.",
    ),
    Internal(
        "scikeras.wrappers.BaseWrapper._initialize_callbacks",
        "scikeras",
        ("estimators/base.py",),
        "Makes new instances of callback classes; called again for a warm start.",
    ),
    Internal(
        "scikeras.wrappers.BaseWrapper.initialized_",
        "scikeras",
        ("estimators/base.py",),
        "Whether the estimator holds a network (warm start, partial_fit).",
    ),
    Internal(
        "scikeras.wrappers.BaseWrapper.current_epoch",
        "scikeras",
        ("estimators/base.py",),
        "The epoch a warm-started fit goes on from.",
    ),
    Internal(
        "scikeras.wrappers.BaseWrapper.target_encoder_",
        "scikeras",
        ("estimators/base.py",),
        "The fitted label encoder, applied to validation labels.",
        probe="fitted classifier",
    ),
    Internal(
        "scikeras.wrappers.BaseWrapper._fit_callbacks",
        "scikeras",
        ("estimators/base.py",),
        "The user's callbacks as scikeras built them for this fit.",
        probe="fitted classifier",
    ),
    Internal(
        "scikeras.wrappers.BaseWrapper._random_state",
        "scikeras",
        ("estimators/base.py",),
        "The fit's integer seed, drawn by scikeras from random_state.",
        probe="fitted classifier",
    ),
    # -- scikit-learn ------------------------------------------------------------------
    Internal(
        "sklearn.utils._param_validation.Interval",
        "scikit-learn",
        ("estimators/_compat.py",),
        "scikit-learn's declarative parameter constraints (_parameter_constraints).",
    ),
    Internal(
        "sklearn.utils._param_validation.StrOptions",
        "scikit-learn",
        ("estimators/_compat.py",),
        "The same, for string options.",
    ),
    Internal(
        "sklearn.base._fit_context",
        "scikit-learn",
        ("estimators/base.py",),
        "Validates the parameters once per fit, as scikit-learn's own estimators do.",
    ),
    Internal(
        "sklearn.base.BaseEstimator._get_param_names",
        "scikit-learn",
        ("estimators/_compat.py",),
        "Restores scikit-learn's parameter list (the __init__ signature) over scikeras'.",
    ),
    Internal(
        "sklearn.utils.validation._num_samples",
        "scikit-learn",
        ("estimators/base.py",),
        "The number of samples of any array-like, before validation.",
    ),
    # -- joblib ------------------------------------------------------------------------
    Internal(
        "joblib.externals.loky.ProcessPoolExecutor",
        "joblib",
        ("evaluation/parallel.py",),
        "joblib's vendored loky executor: a fresh process per thread count for experiment d.",
    ),
    Internal(
        "joblib.externals.loky.get_reusable_executor",
        "joblib",
        ("evaluation/parallel.py",),
        "loky's pool of one worker beside the command line's own process (joblib runs "
        "n_jobs=1 in the calling process).",
    ),
)

_BY_SYMBOL = {entry.symbol: entry for entry in INTERNALS}


@cache
def resolve(symbol: str, *, module: bool = False):
    """The object at ``symbol``, an entry of :data:`INTERNALS`; with ``module``, its holder.

    Parameters
    ----------
    symbol : str
        The entry's dotted path.
    module : bool, default=False
        Return the object that holds the last name (its module or class), for code
        that sets or reads the attribute there at call time.

    Raises
    ------
    PrivateInternalError
        The library no longer has it (naming the symbol and the installed version).
    KeyError
        ``symbol`` is not in the table: every private internal is listed there first.

    Examples
    --------
    >>> resolve("sklearn.utils.validation._num_samples")([[1], [2]])
    2
    """
    entry = _BY_SYMBOL[symbol]
    parts = symbol.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        break
    else:
        raise _moved(entry, parts[0])
    holder = obj
    for name in parts[split:]:
        holder = obj
        try:
            obj = getattr(obj, name)
        except AttributeError:
            raise _moved(entry, name) from None
    if module:
        return holder if split < len(parts) else importlib.import_module(".".join(parts[:-1]))
    return obj


def _moved(entry: Internal, missing: str) -> PrivateInternalError:
    try:
        from importlib.metadata import version

        installed = f"{entry.library} {version(entry.library)}"
    except Exception:
        installed = entry.library
    return PrivateInternalError(
        f"{entry.symbol} ({missing!r} not found) is a private internal of {installed} that "
        f"mnist-estimators uses ({entry.why}) and it has moved. Install a version of "
        f"{entry.library} that mnist-estimators supports (pyproject.toml), or report this."
    )
