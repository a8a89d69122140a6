"""Compiled networks reused from one fit to the next: the fixed cost of a fit without its tracing.

A cross-validation or a grid search fits the same architecture on the same input
shape again and again. Building the network takes a few milliseconds; tracing
and compiling its training step takes most of a second (1.2 s of the CNN's
1.4 s fixed cost on TensorFlow, measured). So each fit still builds a fresh
network from its seed, but when a compiled twin of it is free in this process,
the fit copies the fresh network's variables (weights, the dropout layers' seed
states, the ``standardize`` layer's statistics) into the twin, resets the twin's
optimizer, and trains the twin with its already-traced functions. The result is
the fresh network's, bit for bit (tested): the same initial values, the same
traced computation, the same optimizer state at step 0.

A compiled network is *free* when the estimator that trained it last has been
garbage collected, or when that same estimator fits again. So a fitted
estimator's ``model_`` never changes under it; a ``model_`` kept after its
estimator is dropped may be reused by the next fit (keep the estimator, or
``keras.models.clone_model`` the network). :func:`network_reuse` turns reuse
off, for a block of code.

The pool is per process (each parallel worker has its own) and holds at most
:data:`MAX_POOLED` networks, the least recently used going first.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import weakref
from collections.abc import Hashable, Iterator

from .runtime import keras, release_keras_state

__all__ = ["MAX_POOLED", "network_reuse", "pool_stats", "reusable_network"]

#: Compiled networks kept per process (two networks, each at two data sizes: folds and refit).
MAX_POOLED = 4

_LOCK = threading.Lock()
_ENABLED = [True]
#: key -> [(network, weakref to the estimator that trained it last), ...], oldest first.
_POOL: list[tuple[Hashable, keras.Model, weakref.ref]] = []
_STATS = {"reused": 0, "compiled": 0}


@contextlib.contextmanager
def network_reuse(enabled: bool = True) -> Iterator[None]:
    """Turn the reuse of compiled networks on or off inside a block.

    Reuse changes no result, only the fixed cost of a fit; it is on by default.
    Turned off, every fit builds, compiles and traces its own network, and the
    networks pooled so far are dropped.

    Parameters
    ----------
    enabled : bool, default=True
        Whether fits inside the block may reuse compiled networks.

    Examples
    --------
    >>> from mnist_estimators import network_reuse
    >>> with network_reuse(False):
    ...     pass  # every fit here compiles its own network
    """
    with _LOCK:
        saved = _ENABLED[0]
        _ENABLED[0] = bool(enabled)
        if not enabled:
            _POOL.clear()
    try:
        yield
    finally:
        _ENABLED[0] = saved


def pool_stats() -> dict[str, int]:
    """Fits of this process that reused a compiled network, and that compiled their own.

    Returns
    -------
    dict
        ``{"reused": int, "compiled": int, "pooled": int}``.
    """
    with _LOCK:
        return {**_STATS, "pooled": len(_POOL)}


def reusable_network(
    key: Hashable, fresh: keras.Model, compile_kwargs: dict, owner, sample_batch: tuple
) -> keras.Model:
    """The compiled network to train: a free compiled twin of ``fresh``, or ``fresh`` compiled.

    Parameters
    ----------
    key : hashable
        Everything the traced functions depend on: the backend, the network's
        configuration, the optimizer's, the compile arguments. Twins share it.
    fresh : keras.Model
        The network just built from the fit's seed, not compiled.
    compile_kwargs : dict
        Arguments of ``fresh.compile``; ``optimizer`` is a new optimizer instance.
    owner : object
        The estimator that will train the network (held by a weak reference).
    sample_batch : tuple
        ``(x, y)``, one batch of the network's input and target shapes, to build
        the compiled network's optimizer and metrics before its first fit (so
        that no fit draws from NumPy's generator for that; the JAX and PyTorch
        trainers did, which shifted the first fit's shuffling).

    Returns
    -------
    keras.Model
        A compiled network whose variables and optimizer state equal those of
        ``fresh`` compiled with ``compile_kwargs``.
    """
    with _LOCK:
        twin = _take(key, owner) if _ENABLED[0] else None
    if twin is not None and _load_fresh_state(twin, fresh, compile_kwargs["optimizer"]):
        with _LOCK:
            _STATS["reused"] += 1
        return twin
    if not _ENABLED[0] or len(_POOL) >= MAX_POOLED:  # a network will be dropped: free its state
        release_keras_state()
    fresh.compile(**compile_kwargs)
    fresh._symbolic_build(data_batch=sample_batch)  # what Keras' fit does at its first call
    with _LOCK:
        _STATS["compiled"] += 1
        if _ENABLED[0]:
            _POOL.append((key, fresh, weakref.ref(owner)))
            del _POOL[:-MAX_POOLED]
    return fresh


def _take(key: Hashable, owner):
    """Pop the most recently used free twin for ``key`` and put it back as ``owner``'s.

    An estimator dropped inside a reference cycle is only freed by the garbage
    collector: it runs once when every twin seems taken.
    """
    for collect in (False, True):
        if collect:
            if not any(entry_key == key for entry_key, _, _ in _POOL):
                return None
            gc.collect()
        for i in range(len(_POOL) - 1, -1, -1):
            entry_key, network, last = _POOL[i]
            holder = last()
            if entry_key == key and (holder is None or holder is owner):
                del _POOL[i]
                _POOL.append((key, network, weakref.ref(owner)))
                return network
    return None


def _load_fresh_state(twin: keras.Model, fresh: keras.Model, optimizer) -> bool:
    """Give ``twin`` the variables of ``fresh`` and the state of ``optimizer`` at step 0.

    ``optimizer`` (the fresh network's, not yet used) is built on ``fresh`` for its
    initial values: zeros for Adam's moments, ones for Nadam's running product, ...
    Returns False, changing nothing, when the two do not match variable for variable.
    """
    optimizer.build(fresh.trainable_variables)
    pairs = [
        *zip(twin.variables, fresh.variables, strict=False),
        *zip(_state(twin.optimizer), _state(optimizer), strict=False),
    ]
    if (
        len(twin.variables) != len(fresh.variables)
        or len(_state(twin.optimizer)) != len(_state(optimizer))
        or any(tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype for a, b in pairs)
    ):
        return False
    for target, source in pairs:
        target.assign(source.value)
    rate = twin.optimizer._learning_rate
    if isinstance(rate, keras.Variable):  # a float rate (a schedule is set again by the fit)
        rate.assign(optimizer._learning_rate.value)
    return True


def _state(optimizer) -> list:
    """The optimizer's variables but its learning rate: the step counter and the slots."""
    return [v for v in optimizer.variables if v is not optimizer._learning_rate]
