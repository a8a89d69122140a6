"""Keras layers of the package: faster CPU paths for Keras' LSTM, with the same maths.

:class:`CPUUnrolledLSTM` (the LSTM classifier's default) unrolls the recurrence into
the graph on CPU; :class:`FusedLSTM` runs TensorFlow's fused ``BlockLSTM`` kernel on
CPU. On a GPU both are ``keras.layers.LSTM`` itself, cuDNN included.
"""

from __future__ import annotations

from .runtime import gpu_visible, keras, tf

__all__ = ["CPUUnrolledLSTM", "FusedLSTM"]


@keras.saving.register_keras_serializable(package="mnist_estimators")
class FusedLSTM(keras.layers.LSTM):
    """``keras.layers.LSTM`` whose CPU path is TensorFlow's fused ``BlockLSTM`` kernel.

    The same layer, weights and maths as Keras' LSTM (gates ``i, f, c, o``, sigmoid
    and tanh, no peepholes, no clipping): only the computation differs. On CPU,
    Keras runs a ``while_loop`` of small matrix products per time step; the fused
    kernel runs the whole sequence, and its gradient, in one op each. On a GPU, or
    whenever the fused kernel does not apply (a mask, dropout inside the layer,
    ``go_backwards``, other activations, another backend), the layer does exactly what
    ``keras.layers.LSTM`` does, cuDNN included.

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
            keras.backend.backend() == "tensorflow"
            and mask is None
            and not self.go_backwards
            and not self.recurrent_dropout
            and not (training and self.dropout)
            and self.cell.use_bias
            and self.cell.activation is keras.activations.tanh
            and self.cell.recurrent_activation is keras.activations.sigmoid
            and not gpu_visible()
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not self._fused_applies(mask, training):
            return super().inner_loop(sequences, initial_state, mask=mask, training=training)
        from tensorflow.python.ops import rnn_grad  # noqa: F401  (registers the gradient)

        h0, c0 = initial_state
        x = tf.transpose(sequences, [1, 0, 2])  # time major

        def gates_icfo(weights):  # Keras orders the gates i, f, c, o; the kernel i, c, f, o
            i, f, c, o = tf.split(weights, 4, axis=-1)
            return tf.concat([i, c, f, o], axis=-1)

        w = gates_icfo(
            tf.concat([self.cell.kernel.value, self.cell.recurrent_kernel.value], axis=0)
        )
        no_peephole = tf.zeros([self.cell.units], dtype=x.dtype)
        _, cs, _, _, _, _, h = tf.raw_ops.BlockLSTM(
            seq_len_max=tf.cast(tf.shape(x)[0], tf.int64),
            x=x,
            cs_prev=c0,
            h_prev=h0,
            w=w,
            wci=no_peephole,
            wcf=no_peephole,
            wco=no_peephole,
            b=gates_icfo(self.cell.bias.value),
            forget_bias=0.0,
            cell_clip=-1.0,
            use_peephole=False,
        )
        # BlockLSTM (v1, forget_bias=0, no clipping) rather than BlockLSTMV2, whose
        # gate order is Keras' own: V2's gradient did not match Keras' here (relative
        # error about 1 on every weight), V1's matches to 3e-7 (tests/test_layers.py).
        return h[-1], tf.transpose(h, [1, 0, 2]), [h[-1], cs[-1]]


@keras.saving.register_keras_serializable(package="mnist_estimators")
class CPUUnrolledLSTM(keras.layers.LSTM):
    """``keras.layers.LSTM`` that unrolls its loop over time steps on CPU.

    The same layer, weights and maths as Keras' LSTM: on CPU, for sequences of at
    most ``max_unrolled_steps`` steps, it computes what ``unroll=True`` computes,
    the cell's operations repeated once per step in the graph, instead of a
    TensorFlow ``while_loop`` that runs each step's few small operations one
    iteration at a time. For MNIST's 28 rows that trained 1.2-1.5x faster on 2
    CPU cores (docs/results.md). Outputs equal Keras' loop to float32 rounding
    (tests/test_layers.py). Whenever a GPU is visible, for longer or unknown
    sequence lengths, and on other backends, the layer does exactly what
    ``keras.layers.LSTM`` does, so it takes Keras' cuDNN kernel on a GPU (which
    ``unroll=True`` would rule out).

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
            and keras.backend.backend() == "tensorflow"
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
