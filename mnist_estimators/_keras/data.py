"""Training data for Keras' ``fit``, shuffled by a generator of the fit's own.

Keras' adapter for in-memory arrays shuffles each epoch through the backend's
own source of randomness: ``tf.data`` on TensorFlow (the op seeds of TensorFlow's
global seed), a ``DataLoader`` on PyTorch (PyTorch's generator), and on JAX a
NumPy iterator that draws ``np.random.permutation`` from NumPy's *global*
generator. A fit that seeded that generator changed the caller's NumPy state, and
anything another thread drew from it during the fit changed the fit's shuffle.
:class:`SeededArrays` is Keras' adapter with that one draw taken from a
``RandomState`` of the fit's own, seeded with the fit's seed: the very
permutations that ``np.random.seed(seed)`` gave before, without touching NumPy's
global generator.
"""

from __future__ import annotations

import numpy as np

from .. import _internals as internals
from .runtime import keras

tree = keras.tree

__all__ = ["SeededArrays"]

_ArrayDataAdapter = internals.resolve(
    "keras.src.trainers.data_adapters.array_data_adapter.ArrayDataAdapter"
)
internals.resolve(
    "keras.src.trainers.data_adapters.array_data_adapter.ArrayDataAdapter._get_iterator"
)


class SeededArrays(_ArrayDataAdapter):
    """Keras' array adapter (pass it to ``model.fit`` as ``x``) whose NumPy iterator
    shuffles with ``np.random.RandomState(seed)``.

    Parameters
    ----------
    x, y, sample_weight : ndarray
        The training data, as ``model.fit`` takes them.
    batch_size : int
        Images per batch.
    seed : int or None
        Seed of the generator the NumPy iterator draws each epoch's permutation
        from; None draws from fresh entropy (not from NumPy's global generator).

    Examples
    --------
    >>> import numpy as np
    >>> data = SeededArrays(np.arange(6.0)[:, None], np.arange(6), batch_size=4, seed=0)
    >>> [batch[1].tolist() for batch in data.get_numpy_iterator()]
    [[5, 2, 1, 3], [0, 4]]
    >>> np.random.RandomState(0).permutation(6).tolist()
    [5, 2, 1, 3, 0, 4]
    """

    def __init__(self, x, y=None, sample_weight=None, *, batch_size: int, seed: int | None):
        super().__init__(x, y, sample_weight=sample_weight, batch_size=batch_size, shuffle=True)
        self._seeded = (len(x), int(batch_size), np.random.RandomState(seed))

    def _get_iterator(self, slice_and_convert_fn, inputs):
        # Keras' own iterator draws one permutation per epoch, then slices it batch by
        # batch; the same, from this adapter's generator.
        n, batch_size, rng = self._seeded
        permutation = rng.permutation(n)
        for start in range(0, n, batch_size):
            indices = permutation[start : start + batch_size]
            yield tree.map_structure(
                lambda sliceable, i=indices: slice_and_convert_fn(sliceable, i),
                inputs,
                none_is_leaf=False,
            )
