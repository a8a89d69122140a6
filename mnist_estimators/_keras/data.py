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

import weakref

import numpy as np

from .. import _internals as internals
from .runtime import BACKEND, keras

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
    transform : callable, default=None
        Applied to each batch of ``x`` as it is sliced (an
        :class:`~mnist_estimators.estimators.ImagePipeline` scales its pixels so, batch
        by batch, instead of a float32 copy of every image). It must be elementwise,
        so that a batch comes out exactly as the whole array's transform would give it,
        and return float32. Where Keras slices the arrays itself (PyTorch's
        ``DataLoader``; TensorFlow's own adapter where its backend's
        ``slices_batches_itself`` is set False), ``x`` is transformed whole when the
        adapter is made.

    Examples
    --------
    >>> import numpy as np
    >>> data = SeededArrays(np.arange(6.0)[:, None], np.arange(6), batch_size=4, seed=0)
    >>> [batch[1].tolist() for batch in data.get_numpy_iterator()]
    [[5, 2, 1, 3], [0, 4]]
    >>> np.random.RandomState(0).permutation(6).tolist()
    [5, 2, 1, 3, 0, 4]
    """

    def __init__(
        self,
        x,
        y=None,
        sample_weight=None,
        *,
        batch_size: int,
        seed: int | None,
        shuffle: bool = True,
        transform=None,
    ):
        if transform is not None and not BACKEND.slices_batches_itself:
            x, transform = transform(x), None
        super().__init__(x, y, sample_weight=sample_weight, batch_size=batch_size, shuffle=shuffle)
        self._seeded = (len(x), int(batch_size), np.random.RandomState(seed), shuffle)
        self._transform = transform

    def _epoch_indices(self):
        """Each batch's indices for one epoch: one permutation drawn, then sliced."""
        n, batch_size, rng, shuffle = self._seeded
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            yield order[start : start + batch_size]

    def _get_iterator(self, slice_and_convert_fn, inputs):
        # Keras' own iterator draws one permutation per epoch, then slices it batch by
        # batch; the same, from this adapter's generator.
        for indices in self._epoch_indices():
            batch = tree.map_structure(
                lambda sliceable, i=indices: slice_and_convert_fn(sliceable, i),
                inputs,
                none_is_leaf=False,
            )
            yield self._transformed(batch)

    def _transformed(self, batch: tuple) -> tuple:
        """``batch`` (x, y[, sample_weight]) with ``transform`` applied to its x."""
        if self._transform is None:
            return batch
        return (self._transform(batch[0]), *batch[1:])

    def get_tf_dataset(self):
        """TensorFlow's data: each epoch's batches sliced from the NumPy arrays as they go.

        Keras' own adapter converts the whole arrays into TensorFlow tensors first, a
        second copy of the data for the duration of the fit (150 MB for a fold of the
        complete MNIST); batches sliced from the arrays need none, and are shuffled by
        the same generator as on the other backends.

        ``tf.data.Dataset.from_generator`` keeps the function it is given for the rest
        of the process (tensorflow/tensorflow#57690), so that function holds this
        adapter, and with it the arrays, only by a weak reference
        (:func:`_batches_while_alive`): a fit's data are freed when the fit drops its
        adapter. Held strongly, a fit with validation data kept half of its scaled
        arrays alive, and a process of one TensorFlow thread running five fold-runner
        tasks on 12,000 images grew to 1,455 MB instead of 1,200 (measured).
        """
        if not BACKEND.slices_batches_itself:  # Keras' own adapter (a benchmark's baseline)
            return super().get_tf_dataset()
        x, *rest = self._inputs
        if self._transform is not None:  # the signature of what a batch comes out as
            x = np.empty((0, *x.shape[1:]), dtype=np.float32)
        return BACKEND.dataset_of_batches(_batches_while_alive(weakref.ref(self)), (x, *rest))


def _batches_while_alive(adapter_ref: weakref.ref):
    """A generator function of one epoch's batches of the adapter behind ``adapter_ref``,
    holding the adapter only while it slices a batch; no batches once it is gone.

    Examples
    --------
    >>> import gc
    >>> data = SeededArrays(np.arange(6.0)[:, None], np.arange(6), batch_size=4, seed=0)
    >>> batches = _batches_while_alive(weakref.ref(data))
    >>> [batch[1].tolist() for batch in batches()]
    [[5, 2, 1, 3], [0, 4]]
    >>> del data; _ = gc.collect()
    >>> list(batches())
    []
    """

    def batches():
        adapter = adapter_ref()
        if adapter is None:
            return
        epoch = list(adapter._epoch_indices())  # this epoch's permutation, drawn now
        del adapter
        for indices in epoch:
            adapter = adapter_ref()
            if adapter is None:
                return
            batch = adapter._transformed(tuple(a[indices] for a in adapter._inputs))
            del adapter
            yield batch

    return batches
