"""Compiled networks reused from one fit to the next, inside the package's own loops.

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

Reuse happens only where the package owns every reference to the networks: inside
:func:`package_loop`, which the fold runner under :func:`~mnist_estimators.compare_models`,
:func:`~mnist_estimators.evaluation.search.grid_search` and
:func:`~mnist_estimators.explain` enters around each task. There the estimators are
the runner's own clones, and their networks never reach the user: a network
compiled there is pooled, and is free for the next fit there once the estimator that
trained it has been garbage collected (or when that same estimator fits again). A
fit anywhere else (the user's own ``fit``, ``cross_val_score``, ``GridSearchCV``)
compiles a network of its own that is never pooled, so a ``model_`` the user holds
never changes under them, also after its estimator is dropped or refitted. When the
runner's last task in the calling process has run, the pool there is emptied
(:func:`empty_pool`); a worker process keeps its pool from task to task.

The pool holds at most :data:`MAX_POOLED` networks per process, the least recently
used going first. :func:`network_reuse` turns reuse off for a block of code.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import weakref
from collections.abc import Hashable, Iterator

from .runtime import keras

__all__ = [
    "MAX_POOLED",
    "empty_pool",
    "network_reuse",
    "package_loop",
    "pool_stats",
    "reusable_network",
]

#: Compiled networks kept per process (two networks, each at two data sizes: folds and refit).
MAX_POOLED = 4

_LOCK = threading.Lock()
_ENABLED = [True]
#: (key, network, weakref to the estimator that trained it last), oldest first.
_POOL: list[tuple[Hashable, keras.Model, weakref.ref]] = []
_STATS = {"reused": 0, "compiled": 0}
#: How many package loops the current thread is inside.
_LOOPS = threading.local()
#: A compiled network is collected every this many fresh compiles (see _collect_garbage).
COLLECT_EVERY = 4
_COMPILES_SINCE_COLLECT = [0]


@contextlib.contextmanager
def package_loop() -> Iterator[None]:
    """Mark the fits in this block, in this thread, as the package's own.

    Only there may a fit take a pooled network or leave its own in the pool: the
    caller promises that no estimator fitted in the block, nor its ``model_``, is
    kept beyond it by anyone but the package (the fold runner's tasks, which return
    records). Blocks nest.

    Examples
    --------
    >>> from mnist_estimators._keras.reuse import package_loop, in_package_loop
    >>> with package_loop():
    ...     in_package_loop()
    True
    >>> in_package_loop()
    False
    """
    _LOOPS.depth = getattr(_LOOPS, "depth", 0) + 1
    try:
        yield
    finally:
        _LOOPS.depth -= 1


def in_package_loop() -> bool:
    """Whether the current thread is inside :func:`package_loop`."""
    return getattr(_LOOPS, "depth", 0) > 0


def empty_pool() -> None:
    """Drop every pooled network of this process (the fold runner's end, in the caller)."""
    with _LOCK:
        _POOL.clear()


@contextlib.contextmanager
def network_reuse(enabled: bool = True) -> Iterator[None]:
    """Turn the reuse of compiled networks on or off inside a block.

    Reuse changes no result, only the fixed cost of a fit, and happens only inside
    the package's own loops (:func:`package_loop`): it is on by default there.
    Turned off, every fit builds, compiles and traces its own network, and the
    networks pooled so far are dropped. Turned on, it still never reaches a fit
    outside those loops.

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

    Outside :func:`package_loop` (or with reuse off), always ``fresh`` compiled, and
    not pooled.

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
    pooled = _ENABLED[0] and in_package_loop()
    if pooled:
        with _LOCK:
            twin = _take(key, owner)
        if twin is not None and _load_fresh_state(twin, fresh, compile_kwargs["optimizer"]):
            with _LOCK:
                _STATS["reused"] += 1
            return twin
    _collect_garbage()
    fresh.compile(**compile_kwargs)
    fresh._symbolic_build(data_batch=sample_batch)  # what Keras' fit does at its first call
    with _LOCK:
        _STATS["compiled"] += 1
        if pooled:
            _POOL.append((key, fresh, weakref.ref(owner)))
            del _POOL[:-MAX_POOLED]  # the least recently used go: nothing else holds them
    return fresh


def _collect_garbage() -> None:
    """Run Python's garbage collector once every :data:`COLLECT_EVERY` fresh compiles.

    A Keras network is a web of reference cycles that only the collector frees, and
    holds megabytes of native memory behind few Python objects, so the collector's
    own schedule (by object counts) let dropped networks pile up: +60 MB (CNN) and
    +68 MB (LSTM) of resident memory over 8 fits of tiny networks, measured, where
    collecting every fourth compile kept it within 14 MB. A collection costs 0.25 s
    (a small script with TensorFlow loaded, 400,000 tracked objects) to 0.6 s (the
    benchmark harness's process), so it runs every fourth compile, not at each:
    at most a few dropped networks wait for it. It changes no setting of the collector.
    """
    with _LOCK:
        _COMPILES_SINCE_COLLECT[0] += 1
        due = _COMPILES_SINCE_COLLECT[0] >= COLLECT_EVERY
        if due:
            _COMPILES_SINCE_COLLECT[0] = 0
    if due:
        gc.collect()


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
