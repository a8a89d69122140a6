"""What differs between Keras' backends: one class per backend, one table of them.

Keras 3 runs on TensorFlow, JAX or PyTorch, chosen the Keras way: the
``KERAS_BACKEND`` environment variable, else ``"backend"`` in ``keras.json``
(``$KERAS_HOME``, by default ``~/.keras``), else TensorFlow. Everything this
package does differently per backend is a method of its class here: quiet logs,
thread settings, the GPU share of a worker, seeding, GPU detection and naming,
the largest ``steps_per_execution`` its trainer takes, and the fused LSTM
kernel on CPU. :mod:`.runtime` picks the class of the backend Keras runs
(:data:`BACKENDS`); nothing else in the package asks which backend it is on.

This module imports no backend library at import time: each class imports its
own inside its methods, so that on JAX or PyTorch nothing ever imports
TensorFlow (tests/test_backends.py checks it in a venv without TensorFlow).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from .. import _internals as internals
from .._memory import unpin_mmap_threshold

__all__ = [
    "BACKENDS",
    "Backend",
    "UnsupportedBackendError",
    "configured_backend",
    "native_logs_silenced",
    "quiet_native_import",
    "tensorflow_hidden",
]


class UnsupportedBackendError(ImportError):
    """Keras runs a backend this package does not support, or that is not installed."""


def configured_backend() -> str:
    """The backend Keras will load: ``$KERAS_BACKEND``, else ``keras.json``'s, else TensorFlow.

    Keras' own rule (``keras/src/backend/config.py``), read without importing
    Keras, so that the right libraries can be kept out before Keras loads.
    Once Keras is loaded, its own ``keras.backend.backend()`` is the truth.

    Examples
    --------
    >>> import os
    >>> configured_backend() in {"tensorflow", "jax", "torch"} or "KERAS_BACKEND" in os.environ
    True
    """
    if "keras" in sys.modules and hasattr(sys.modules["keras"], "backend"):
        return sys.modules["keras"].backend.backend()
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):  # as Keras does
        base = "/tmp"
    home = os.environ.get("KERAS_HOME") or os.path.join(base, ".keras")
    try:
        config = json.loads(Path(home, "keras.json").read_text(encoding="utf-8"))
        return str(config.get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


@contextlib.contextmanager
def native_logs_silenced() -> Iterator[None]:
    """Send native (C++) log lines, TensorFlow's and XLA's, to /dev/null for the duration.

    Python's own ``sys.stderr`` keeps writing to the real terminal, so Python
    warnings and exceptions stay visible; only fd-level writes are dropped.
    Set ``MNIST_ESTIMATORS_TF_LOGS=1`` to keep everything.
    """
    if os.environ.get("MNIST_ESTIMATORS_TF_LOGS"):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no usable fd 2 (embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    py_stderr = sys.stderr
    replacement = None
    if py_stderr is sys.__stderr__ and py_stderr is not None:
        py_stderr.flush()
        replacement = open(os.dup(saved), "w", buffering=1, closefd=True)
        sys.stderr = replacement
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
        if replacement is not None:
            sys.stderr = py_stderr
            replacement.close()


@contextlib.contextmanager
def quiet_native_import() -> Iterator[None]:
    """Import the backend's libraries without their native start-up notices.

    TensorFlow >= 2.20 prints oneDNN/CUDA notices through abseil while it is imported,
    before ``absl::InitializeLog()`` is called, and no setting filters those
    (abseil/abseil-cpp#1957): file descriptor 2 points at /dev/null for the import
    (:func:`native_logs_silenced`), once per process. TensorFlow's C++ log level
    (``TF_CPP_MIN_LOG_LEVEL``) is 2 (errors only) while it loads, where the caller
    set none; TensorFlow reads it then and keeps it, and the variable itself is put
    back as the caller had it. Nothing of this happens during a fit or a predict.
    """
    saved = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    if saved is None and not os.environ.get("MNIST_ESTIMATORS_TF_LOGS"):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    try:
        with native_logs_silenced():
            yield
    finally:
        if saved is None:
            os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)


@contextlib.contextmanager
def tensorflow_hidden(hide: bool = True) -> Iterator[None]:
    """Make ``import tensorflow`` fail for the duration (when ``hide`` and it is not loaded).

    scikeras imports TensorFlow when it is installed, whatever the backend
    (``scikeras/utils/random_state.py``, behind an ``ImportError`` guard); with
    TensorFlow hidden while scikeras loads, it takes its TensorFlow-free path.
    TensorFlow can be imported normally afterwards.
    """
    if not hide or "tensorflow" in sys.modules:
        yield
        return
    sys.modules["tensorflow"] = None  # the import system's "not importable" mark
    try:
        yield
    finally:
        if sys.modules.get("tensorflow", 0) is None:
            del sys.modules["tensorflow"]


def _limit_keras_tensorflow_probe() -> None:
    """Let Keras ask "is TensorFlow available?" without importing it.

    Keras asks ``tf.available`` (which imports TensorFlow when it is installed)
    when it seeds (``keras.utils.set_random_seed``) and when it serialises a
    model, on every backend. An object can be TensorFlow's only if TensorFlow is
    loaded, so on the other backends the answer is "only if already loaded".
    """
    lazy_module = internals.resolve("keras.src.utils.module_utils.LazyModule")
    tensorflow = internals.resolve("keras.src.utils.module_utils.tensorflow")

    class _LoadedOnly(lazy_module):
        @property
        def available(self):
            return "tensorflow" in sys.modules and lazy_module.available.fget(self)

    if type(tensorflow) is lazy_module:
        tensorflow.__class__ = _LoadedOnly


class Backend:
    """What this package does on one Keras backend. The base class holds the defaults.

    Subclasses override what their backend does differently; :data:`BACKENDS`
    maps each backend's name to its class.
    """

    #: Keras' name of the backend.
    name = ""
    #: The library to ``pip install`` (the package's extra of the same name installs it).
    package = ""
    #: Largest ``steps_per_execution`` the backend's trainer accepts (None: no limit).
    max_steps_per_execution: int | None = None
    #: Whether training batches come through this package's own slicing
    #: (:class:`~mnist_estimators._keras.data.SeededArrays`), so that it can transform
    #: each one; PyTorch's trainer slices through Keras' own ``DataLoader``. When it
    #: is set False on the TensorFlow backend object, Keras' own adapter converts the
    #: arrays into tensors whole (``benchmarks/bench_tf_batches.py``'s baseline).
    slices_batches_itself = True
    #: The LSTM layer that is fastest on this backend's CPU: "unrolled"
    #: (:class:`~mnist_estimators.CPUUnrolledLSTM`), "fused"
    #: (:class:`~mnist_estimators.FusedLSTM`) or "keras" (``keras.layers.LSTM``).
    fast_cpu_lstm = "keras"

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def after_import(self) -> None:
        """Once Keras is loaded: quiet the backend's loggers, keep TensorFlow out."""
        _limit_keras_tensorflow_probe()

    def configure_worker(self, threads: int | None, gpu_share: float | None = None) -> bool:
        """Give this process ``threads`` CPU threads and at most ``gpu_share`` of each GPU.

        Possible only before the backend's runtime has started; returns False,
        changing nothing, when it has. None leaves a setting alone. What each backend
        can do: TensorFlow sets its intra- and inter-op threads, and lets GPU memory
        grow as used (it has no share); JAX runs one thread when ``threads`` is 1
        (else XLA's default) and takes ``gpu_share`` of a GPU; PyTorch sets its
        threads and caps its CUDA memory at ``gpu_share``.
        """
        return True

    def start(self) -> None:
        """Start the backend's runtime, with its one-time notices silenced."""

    def deterministic(self) -> None:
        """Make every op of this process deterministic (a process of the package's own).

        Called once in the processes the package starts and owns (its parallel
        workers, the command line), never in a user's process. CPU training gives the
        same result for the same seed without it (tested); on a GPU, some kernels
        are only deterministic with it.
        """

    def gpu_count(self) -> int:
        """GPUs the backend can use in this process (asked once, then remembered)."""
        count = getattr(self, "_gpu_count", None)
        if count is None:
            count = self._gpu_count = self._count_gpus()
        return count

    def _count_gpus(self) -> int:
        return 0

    def gpu_names(self) -> list[str]:
        """The names of those GPUs (e.g. ``"NVIDIA H200"``)."""
        return []

    def seeded(self, seed: int) -> contextlib.AbstractContextManager:
        """Seed what the backend draws from beyond Python, NumPy and Keras' generator."""
        return contextlib.nullcontext()

    def training_call(self) -> contextlib.AbstractContextManager:
        """Around one training call: undo what the backend leaks per call."""
        return contextlib.nullcontext()

    def gradient_registry(self) -> dict | None:
        """The backend's process-wide registry of gradient functions, if it has one."""
        return None

    def fused_lstm(self, layer, sequences, initial_state):
        """``layer``'s output as ``inner_loop`` returns it, by one fused kernel; or None.

        Called by :class:`~mnist_estimators.FusedLSTM` only when the fused maths
        apply (no mask, no dropout inside the layer, tanh/sigmoid, a bias) and no
        GPU is visible. None: no fused kernel here, Keras' own loop runs.
        """
        return None


class TensorFlowBackend(Backend):
    """TensorFlow: its thread pools, a tf.data warm-up, op determinism, ``BlockLSTM``.

    Importing TensorFlow >= 2.20 prints oneDNN/CUDA notices through abseil before
    ``absl::InitializeLog()`` is called, which no setting filters
    (abseil/abseil-cpp#1957): it is imported with file descriptor 2 pointed at
    /dev/null (:func:`quiet_native_import`), once per process.
    """

    name = "tensorflow"
    package = "tensorflow"
    fast_cpu_lstm = "unrolled"

    def __init__(self):
        self._started = False

    @staticmethod
    def _tf():
        tf = sys.modules.get("tensorflow")
        if tf is None:
            with quiet_native_import():
                import tensorflow as tf
        return tf

    def after_import(self) -> None:
        """TensorFlow's Python logger shows errors only, unless the caller set its level.

        Set once, as TensorFlow is imported: its retracing and deprecation notices
        would otherwise print during fits. A level the caller set is left alone.
        """
        import logging

        logger = self._tf().get_logger()
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.ERROR)

    def configure_worker(self, threads, gpu_share=None) -> bool:
        tf = self._tf()
        try:
            if threads:
                tf.config.threading.set_intra_op_parallelism_threads(int(threads))
                tf.config.threading.set_inter_op_parallelism_threads(int(threads))
            # No GPU share: start() lets every process's GPU memory grow as used.
        except RuntimeError:
            return False
        return True

    def start(self) -> None:
        if self._started:
            return
        tf = self._tf()
        # init_scope: eagerly, also when first asked from inside a traced function (a
        # layer of the package used in a plain Keras model before any fit of ours).
        with tf.init_scope():
            for gpu in tf.config.list_physical_devices("GPU"):  # not all of it at once
                with contextlib.suppress(RuntimeError, ValueError):
                    tf.config.experimental.set_memory_growth(gpu, True)
            tf.config.list_logical_devices()
            for _ in tf.data.Dataset.from_tensor_slices([0.0]).map(
                lambda v: v, num_parallel_calls=2
            ):
                pass
        self._started = True

    def deterministic(self) -> None:
        self._tf().config.experimental.enable_op_determinism()

    def _count_gpus(self) -> int:
        # The physical devices: listing them does not start the runtime, so thread
        # counts can still be set after.
        return len(self._tf().config.list_physical_devices("GPU"))

    def gpu_names(self) -> list[str]:
        tf = self._tf()
        return [
            tf.config.experimental.get_device_details(g).get("device_name", g.name)
            for g in tf.config.list_physical_devices("GPU")
        ]

    @contextlib.contextmanager
    def seeded(self, seed: int) -> Iterator[None]:
        """TensorFlow's global seed for the block (the shuffle's op seeds come from it); restored after.

        ``tf.random.set_seed`` also empties the eager context's caches, which
        holds every traced function's optimised instantiation: a compiled
        network reused by the next fit (:mod:`mnist_estimators._keras.reuse`)
        was optimised again, 0.35 s of the unrolled LSTM's fixed cost (measured).
        The seed is set here as ``set_seed`` sets it in eager mode (the global
        seed, and the generator that op seeds are drawn from) without emptying
        the caches. That is safe in a fit: Keras 3 draws its weights and dropout
        masks with stateless ops, and the only stateful random op, the shuffle,
        runs inside tf.data, whose kernels each new dataset makes afresh (a test
        fits twice in one process and compares bit for bit). A TensorFlow without
        those context attributes gets ``tf.random.set_seed`` itself.

        Op determinism (``TF_DETERMINISTIC_OPS``) is not touched here: it is a
        setting of the whole process, set once in the package's own processes
        (:meth:`deterministic`).
        """
        tf = self._tf()
        ctx = internals.resolve("tensorflow.python.eager.context.context")()
        light = tf.executing_eagerly() and hasattr(ctx, "_rng") and hasattr(ctx, "_seed")
        saved_seed, saved_rng = getattr(ctx, "_seed", None), getattr(ctx, "_rng", None)
        if light:
            ctx._seed, ctx._rng = seed, random.Random(seed)
        else:  # pragma: no cover - a TensorFlow whose eager context differs
            tf.random.set_seed(seed)
        try:
            yield
        finally:
            if light:
                ctx._seed, ctx._rng = saved_seed, saved_rng
            else:  # pragma: no cover
                tf.random.set_seed(saved_seed)

    #: Put glibc's mmap threshold back when an epoch's batches start (False: leave it
    #: where ``from_generator``'s op pinned it; ``benchmarks/bench_mmap_threshold.py``).
    unpins_mmap_threshold = True

    def dataset_of_batches(self, batches, arrays):
        """A ``tf.data`` dataset of ``batches()`` (a generator of tuples of NumPy arrays
        shaped as ``arrays`` but for the first dimension), two batches prefetched.

        ``tf.data``'s autotuning is off: one generator and a buffer of two batches leave it
        nothing to tune, and its model thread, one per iterator, stalled the fits. Each
        epoch (and each evaluation of the validation data) drops its iterator, and the
        iterator's destructor waits for that thread, which ended only at the end of its
        timed wait: the fit's thread sat idle for 5 to 20 s, two to four times per task,
        in the README's main job on the AVX2 machine
        (2026-12-05; gdb: the destructor in ``~LogicalThreadWrapper``, the model thread
        waiting in ``Model::OptimizeLoop``). Those were the "slow epochs", twice as long
        as the others, of the earlier runs.

        The op that runs the generator pins glibc's mmap threshold at 128 KiB when
        TensorFlow constructs it (:func:`~mnist_estimators._memory.unpin_mmap_threshold`),
        which made every larger allocation a fresh ``mmap``; each epoch's generator puts
        the threshold back before its first batch.
        """
        tf = self._tf()
        signature = tuple(tf.TensorSpec((None, *a.shape[1:]), tf.as_dtype(a.dtype)) for a in arrays)
        unpin = self.unpins_mmap_threshold

        def epoch():
            if unpin:
                unpin_mmap_threshold()  # the op running this generator has just pinned it
            yield from batches()

        options = tf.data.Options()
        options.autotune.enabled = False  # nothing to tune; its thread stalled the fits
        dataset = tf.data.Dataset.from_generator(epoch, output_signature=signature)
        return dataset.prefetch(2).with_options(options)

    def gradient_registry(self) -> dict | None:
        try:
            registry = internals.resolve("tensorflow.python.framework.ops._gradient_registry")
            registry = registry._registry
        except (ImportError, AttributeError):  # pragma: no cover - a TF without it
            return None
        return registry if isinstance(registry, dict) else None

    @contextlib.contextmanager
    def training_call(self) -> Iterator[None]:
        """Remove the gradient functions a training call registered for good.

        Each trace of a ``train_step`` registers a ``CustomGradient-...`` function
        that closes over the traced graph (tensorflow/tensorflow#61791,
        keras-team/keras#20552); it is read only while tracing.
        """
        registry = self.gradient_registry()
        before = set(registry) if registry is not None else set()
        try:
            yield
        finally:
            if registry is not None:
                for key in [k for k in registry if k not in before]:
                    if key.startswith("CustomGradient-"):
                        del registry[key]

    def fused_lstm(self, layer, sequences, initial_state):
        tf = self._tf()
        internals.resolve("tensorflow.python.ops.rnn_grad")  # registers BlockLSTM's gradient

        h0, c0 = initial_state
        x = tf.transpose(sequences, [1, 0, 2])  # time major
        cell = layer.cell

        def gates_icfo(weights):  # Keras orders the gates i, f, c, o; the kernel i, c, f, o
            i, f, c, o = tf.split(weights, 4, axis=-1)
            return tf.concat([i, c, f, o], axis=-1)

        w = gates_icfo(tf.concat([cell.kernel.value, cell.recurrent_kernel.value], axis=0))
        no_peephole = tf.zeros([cell.units], dtype=x.dtype)
        _, cs, _, _, _, _, h = tf.raw_ops.BlockLSTM(
            seq_len_max=tf.cast(tf.shape(x)[0], tf.int64),
            x=x,
            cs_prev=c0,
            h_prev=h0,
            w=w,
            wci=no_peephole,
            wcf=no_peephole,
            wco=no_peephole,
            b=gates_icfo(cell.bias.value),
            forget_bias=0.0,
            cell_clip=-1.0,
            use_peephole=False,
        )
        # BlockLSTM (v1, forget_bias=0, no clipping) rather than BlockLSTMV2, whose
        # gate order is Keras' own: V2's gradient did not match Keras' here (relative
        # error about 1 on every weight), V1's matches to 3e-7 (tests/test_layers.py).
        return h[-1], tf.transpose(h, [1, 0, 2]), [h[-1], cs[-1]]


class JaxBackend(Backend):
    """JAX: XLA compiles the whole training step. Keras >= 3.14 takes cuDNN's LSTM on a GPU.

    JAX takes 75 % of a GPU's memory when it first touches it. Asking for the GPUs
    turns that off in the asking process (``XLA_PYTHON_CLIENT_PREALLOCATE=false``,
    unless set); a worker that shares a GPU with others gets its share through
    ``XLA_PYTHON_CLIENT_MEM_FRACTION``, set before that moment.
    """

    name = "jax"
    package = "jax"

    @staticmethod
    def _initialised() -> bool:
        jax_bridge = sys.modules.get("jax._src.xla_bridge")
        return bool(jax_bridge is not None and getattr(jax_bridge, "_backends", None))

    def configure_worker(self, threads, gpu_share=None) -> bool:
        if self._initialised():
            return False
        if threads == 1:  # XLA's CPU client reads its flags when it starts
            flags = os.environ.get("XLA_FLAGS", "")
            if "xla_cpu_multi_thread_eigen" not in flags:
                os.environ["XLA_FLAGS"] = (
                    f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
                ).strip()
        if gpu_share is not None:
            os.environ["XLA_PYTHON_CLIENT_MEM_FRACTION"] = f"{gpu_share:.3f}"
        return True

    def _count_gpus(self) -> int:
        return len(self._gpus())

    def gpu_names(self) -> list[str]:
        return [d.device_kind for d in self._gpus()]

    def _gpus(self) -> list:
        if not hasattr(self, "_gpu_list"):
            self._gpu_list = self._find_gpus()
        return self._gpu_list

    def _find_gpus(self) -> list:
        import jax

        # The first question starts JAX's GPU client, which would take 75 % of each GPU
        # here, in the process that only asked (a comparison's parent, before its
        # workers). It allocates as it goes instead: XLA reads the variable as its client
        # starts, and the variable is put back as the caller had it right after. A
        # worker's share is set before (configure_worker).
        preallocate = os.environ.get("XLA_PYTHON_CLIENT_PREALLOCATE")
        if not self._initialised() and preallocate is None:
            os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        try:
            with native_logs_silenced():
                return list(jax.devices("gpu"))
        except RuntimeError:  # no GPU platform
            return []
        finally:
            if preallocate is None:
                os.environ.pop("XLA_PYTHON_CLIENT_PREALLOCATE", None)


class TorchBackend(Backend):
    """PyTorch: intra-op threads, its global generator, and its fused LSTM on CPU.

    Keras 3.15 runs PyTorch's fused LSTM (``torch._VF.lstm``, what ``nn.LSTM``
    runs) only on CUDA; on CPU it loops over the time steps in Python
    (``keras/src/backend/torch/rnn.py``, ``_fallback_lstm``). :meth:`fused_lstm`
    runs the fused op on CPU too. The torch trainer takes one batch per call.
    """

    name = "torch"
    package = "torch"
    max_steps_per_execution = 1
    slices_batches_itself = False
    fast_cpu_lstm = "fused"

    def configure_worker(self, threads, gpu_share=None) -> bool:
        import torch

        if threads:
            torch.set_num_threads(int(threads))
            with contextlib.suppress(RuntimeError):  # only before the first parallel work
                torch.set_num_interop_threads(int(threads))
        if gpu_share is not None and torch.cuda.is_available():
            for device in range(torch.cuda.device_count()):
                torch.cuda.set_per_process_memory_fraction(gpu_share, device)
        return True

    def _count_gpus(self) -> int:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0

    def gpu_names(self) -> list[str]:
        import torch

        return [torch.cuda.get_device_name(i) for i in range(self.gpu_count())]

    @contextlib.contextmanager
    def seeded(self, seed: int) -> Iterator[None]:
        import torch

        cuda = range(torch.cuda.device_count()) if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=cuda):  # the CPU's and every GPU's, restored after
            torch.manual_seed(seed)  # dropout and initial weights drawn by torch itself
            yield

    def fused_lstm(self, layer, sequences, initial_state):
        import torch

        cell = layer.cell
        kernel, recurrent, bias = (
            torch.as_tensor(w.value) for w in (cell.kernel, cell.recurrent_kernel, cell.bias)
        )
        x = torch.as_tensor(sequences).to(kernel.dtype)
        if x.device.type != "cpu":  # another accelerator (MPS, XPU): Keras' own path
            return None
        h0, c0 = (torch.as_tensor(s).to(kernel.dtype).unsqueeze(0) for s in initial_state)
        # Keras and PyTorch both order the gates i, f, c, o; PyTorch's weights are transposed
        # and it adds two biases, so the second is zero.
        params = [kernel.T.contiguous(), recurrent.T.contiguous(), bias, torch.zeros_like(bias)]
        fused = internals.resolve("torch._VF.lstm", module=True).lstm  # looked up at each call
        outputs, h_n, c_n = fused(
            x, (h0, c0), params, True, 1, 0.0, torch.is_grad_enabled(), False, True
        )
        h_n, c_n = h_n.squeeze(0), c_n.squeeze(0)
        return outputs[:, -1], outputs, [h_n, c_n]


#: Every backend this package runs on, by Keras' name for it.
BACKENDS: dict[str, type[Backend]] = {
    cls.name: cls for cls in (TensorFlowBackend, JaxBackend, TorchBackend)
}
