"""Keras layers of the package: faster CPU paths for Keras' LSTM, with the same maths,
and the input standardisation that a reused compiled network can adapt again.

:class:`CPUUnrolledLSTM` unrolls the recurrence into the graph on CPU (TensorFlow);
:class:`FusedLSTM` runs the backend's fused LSTM kernel on CPU: TensorFlow's
``BlockLSTM``, PyTorch's ``torch._VF.lstm`` (what ``nn.LSTM`` runs). On a GPU both
are ``keras.layers.LSTM`` itself, cuDNN included. :func:`fast_lstm` gives the
fastest of them on the backend Keras runs (the LSTM classifier's default).
"""

from __future__ import annotations

import numpy as np

from .runtime import BACKEND, gpu_visible, keras

__all__ = ["CPUUnrolledLSTM", "FusedLSTM", "PositionEmbedding", "Standardize", "fast_lstm"]


@keras.saving.register_keras_serializable(package="mnist_estimators")
class FusedLSTM(keras.layers.LSTM):
    """``keras.layers.LSTM`` whose CPU path is the backend's fused LSTM kernel.

    The same layer, weights and maths as Keras' LSTM (gates ``i, f, c, o``, sigmoid
    and tanh, no peepholes, no clipping): only the computation differs. On CPU,
    Keras runs one step's small matrix products at a time (a ``while_loop`` on
    TensorFlow, a Python loop on PyTorch); the fused kernel runs the whole
    sequence, and its gradient, in one op each: TensorFlow's ``BlockLSTM``,
    PyTorch's ``torch._VF.lstm`` (Keras itself calls it only on CUDA). On a GPU, on
    JAX (whose whole training step XLA compiles), or whenever the fused kernel does
    not apply (a mask, dropout inside the layer, ``go_backwards``, other
    activations), the layer does exactly what ``keras.layers.LSTM`` does, cuDNN
    included.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((2, 5, 3), dtype=np.float32)
    >>> fused, plain = FusedLSTM(4), keras.layers.LSTM(4)
    >>> _ = fused(x), plain(x)
    >>> plain.set_weights(fused.get_weights())
    >>> bool(np.allclose(fused(x), plain(x), atol=1e-6))
    True
    """

    def _fused_applies(self, mask, training) -> bool:
        return (
            mask is None
            and not self.go_backwards
            and not self.stateful
            and self.use_cudnn is not False
            and not self.recurrent_dropout
            and not (training and self.dropout)
            and self.cell.use_bias
            and self.cell.activation is keras.activations.tanh
            and self.cell.recurrent_activation is keras.activations.sigmoid
            and not gpu_visible()
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        out = None
        if self._fused_applies(mask, training):
            out = BACKEND.fused_lstm(self, sequences, initial_state)
        if out is None:
            return super().inner_loop(sequences, initial_state, mask=mask, training=training)
        return out


@keras.saving.register_keras_serializable(package="mnist_estimators")
class CPUUnrolledLSTM(keras.layers.LSTM):
    """``keras.layers.LSTM`` that unrolls its loop over time steps on CPU.

    The same layer, weights and maths as Keras' LSTM: on CPU, for sequences of at
    most ``max_unrolled_steps`` steps, it computes what ``unroll=True`` computes,
    the cell's operations repeated once per step in the graph, instead of a
    TensorFlow ``while_loop`` that runs each step's few small operations one
    iteration at a time. For MNIST's 28 rows that trained 1.2-1.5x faster on the
    2-core AVX2 machine (docs/results.md); on the AVX-512 machine of 2026-11-30 plain
    Keras' loop trained faster at batch 128, trace time included (docs/results.md,
    "Keras backends side by side"). Outputs equal Keras' loop to float32 rounding
    (tests/test_layers.py). It unrolls on any backend's CPU; whenever a GPU is
    visible, and for longer or unknown sequence lengths, the layer does exactly what
    ``keras.layers.LSTM`` does, so it takes Keras' cuDNN kernel on a GPU (which
    ``unroll=True`` would rule out). Which path is fastest on a machine is measured
    (:mod:`mnist_estimators._keras.paths`).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((2, 5, 3), dtype=np.float32)
    >>> unrolled, plain = CPUUnrolledLSTM(4), keras.layers.LSTM(4)
    >>> _ = unrolled(x), plain(x)
    >>> plain.set_weights(unrolled.get_weights())
    >>> bool(np.allclose(unrolled(x), plain(x), atol=1e-6))
    True
    """

    #: Longest sequence unrolled: the graph, and its tracing time, grow with the steps.
    max_unrolled_steps = 64

    def _unroll_applies(self, sequences) -> bool:
        steps = sequences.shape[1]
        return (
            not self.unroll
            and steps is not None
            and steps <= self.max_unrolled_steps
            and not gpu_visible()
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not self._unroll_applies(sequences):
            return super().inner_loop(sequences, initial_state, mask=mask, training=training)
        # Keras reads ``self.unroll`` while it builds the loop; the saved layer keeps False.
        self.unroll = True
        try:
            return super().inner_loop(sequences, initial_state, mask=mask, training=training)
        finally:
            self.unroll = False


#: The LSTM layer of each :attr:`~mnist_estimators._keras.backends.Backend.fast_cpu_lstm`.
_FAST_LSTM = {"unrolled": CPUUnrolledLSTM, "fused": FusedLSTM, "keras": keras.layers.LSTM}


def fast_lstm() -> type:
    """The LSTM layer class that trains fastest on the backend Keras runs.

    :class:`CPUUnrolledLSTM` on TensorFlow, :class:`FusedLSTM` on PyTorch,
    ``keras.layers.LSTM`` on JAX. All three are ``keras.layers.LSTM`` on a GPU.

    Examples
    --------
    >>> issubclass(fast_lstm(), keras.layers.LSTM)
    True
    """
    return _FAST_LSTM[BACKEND.fast_cpu_lstm]


@keras.saving.register_keras_serializable(package="mnist_estimators")
class Standardize(keras.layers.Normalization):
    """``keras.layers.Normalization(axis=None)`` that reads its statistics when it runs.

    Keras' layer turns its adapted mean and variance into constant tensors after
    ``adapt``, and a traced training step keeps the constants of the trace: a
    compiled network adapted again (a reused one, see
    :mod:`~mnist_estimators._keras.reuse`) would go on standardising with the old
    statistics. This layer computes the same ``(x - mean) / max(sqrt(variance),
    epsilon)`` from its ``mean`` and ``variance`` variables at each call, so the
    traced step follows ``adapt``. A fit learns its statistics with :meth:`adapt_arrays`.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Standardize()
    >>> layer.adapt(np.array([[1.0, 3.0]], dtype="float32"))
    >>> np.asarray(layer(np.array([[1.0, 5.0]], dtype="float32"))).tolist()
    [[-1.0, 3.0]]
    """

    def __init__(self, **kwargs):
        kwargs.pop("axis", None)
        super().__init__(axis=None, **kwargs)

    def adapt_arrays(self, x, transform=None, batch_size: int = 1024) -> None:
        """Learn the mean and variance of ``x``, read ``batch_size`` images at a time.

        Keras' ``adapt`` of a NumPy array takes the whole array, and its variance
        a second array of the same size: with the images scaled first, two float32
        copies of them while it runs (+287 MB for 48,000 MNIST images, measured).
        Here each batch is scaled by ``transform`` (elementwise, as
        :class:`~mnist_estimators._keras.data.SeededArrays` takes it) as it is
        read, and the statistics are summed in float64 over two passes (the mean,
        then the squared deviations from it), then rounded to float32: the mean and
        variance of the float32 values the network reads, to float32's precision,
        where Keras' float32 reduction can differ by a unit in the last place.

        Parameters
        ----------
        x : ndarray
            The images, any shape with the images along the first axis.
        transform : callable, default=None
            Applied to each batch of ``x``; None reads ``x`` as it is.
        batch_size : int, default=1024
            Images read at a time.

        Examples
        --------
        >>> layer = Standardize()
        >>> layer.adapt_arrays(np.array([[0, 255], [255, 255]], dtype=np.uint8),
        ...                    transform=lambda b: b.astype(np.float32) / 255, batch_size=1)
        >>> float(np.asarray(layer.adapt_mean)), float(np.asarray(layer.adapt_variance))
        (0.75, 0.1875)
        """
        count = np.size(x)
        if count == 0:
            raise ValueError("Standardize.adapt_arrays needs at least one value; x is empty.")
        if not self.built:
            self.build((None, *np.shape(x)[1:]))

        def batches():
            for start in range(0, len(x), batch_size):
                batch = x[start : start + batch_size]
                yield np.asarray(batch if transform is None else transform(batch), np.float64)

        mean = sum(float(batch.sum()) for batch in batches()) / count
        variance = sum(float(np.square(batch - mean).sum()) for batch in batches()) / count
        dtype = self.adapt_mean.dtype
        self.adapt_mean.assign(np.full(self.adapt_mean.shape, mean, dtype=dtype))
        self.adapt_variance.assign(np.full(self.adapt_variance.shape, variance, dtype=dtype))
        self.finalize_state()

    def call(self, inputs):
        ops = keras.ops
        inputs = ops.convert_to_tensor(inputs, dtype=self.compute_dtype)
        mean = ops.cast(ops.reshape(self.adapt_mean, self._broadcast_shape), self.compute_dtype)
        variance = ops.reshape(self.adapt_variance, self._broadcast_shape)
        variance = ops.cast(variance, self.compute_dtype)
        scale = ops.maximum(ops.sqrt(variance), keras.config.epsilon())
        return ops.divide(ops.subtract(inputs, mean), scale)


@keras.saving.register_keras_serializable(package="mnist_estimators")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learnt vector to each token of a sequence: its position's embedding.

    The vision transformer's tokens (image patches) carry no position of their own;
    one learnt weight of shape ``(tokens, dim)``, drawn from a normal distribution of
    standard deviation ``stddev``, is added to its input.

    Parameters
    ----------
    stddev : float, default=0.02
        Standard deviation of the initial embedding.

    Examples
    --------
    >>> import numpy as np
    >>> layer = PositionEmbedding()
    >>> out = layer(np.zeros((2, 16, 8), dtype="float32"))
    >>> tuple(out.shape), tuple(layer.get_weights()[0].shape)
    ((2, 16, 8), (16, 8))
    """

    def __init__(self, stddev: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev

    def build(self, input_shape):
        self.embedding = self.add_weight(
            shape=tuple(input_shape[1:]),
            initializer=keras.initializers.RandomNormal(stddev=self.stddev),
            name="embedding",
        )

    def call(self, inputs):
        return inputs + keras.ops.cast(self.embedding, inputs.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev}
