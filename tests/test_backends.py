"""Keras' three backends: the same guarantees on TensorFlow, JAX and PyTorch.

This file runs under whatever backend the process has (``KERAS_BACKEND``): CI runs it
in the TensorFlow suite and again in a venv without TensorFlow for JAX and for PyTorch
(``.ci/backends``). The tests that need another backend than the running one start a
process of their own, and are skipped, with the reason, where none is installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from _lstm import lstm_pair

from mnist_estimators import CNNClassifier, LSTMClassifier
from mnist_estimators._keras import backends
from mnist_estimators._keras.layers import FusedLSTM, fast_lstm
from mnist_estimators._keras.runtime import BACKEND, keras
from mnist_estimators.estimators.base import auto_steps_per_execution
from mnist_estimators.evaluation import parallel
from mnist_estimators.evaluation.errors import ComparisonConfigError
from mnist_estimators.evaluation.store import RecordStore

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- the fused LSTM: Keras' maths, on every backend ---------------------------------
def _lstm_pair(**kwargs):
    return lstm_pair(FusedLSTM, **kwargs)


def _np(tensor) -> np.ndarray:
    return keras.ops.convert_to_numpy(keras.ops.stop_gradient(tensor))


def _gradients(layer, x) -> list[np.ndarray]:
    """d sum(layer(x)^2) / d(x, every weight), by the running backend's own autodiff."""
    if BACKEND.name == "tensorflow":
        import tensorflow as tf

        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            loss = tf.reduce_sum(tf.square(layer(xt)))
        return [np.asarray(g) for g in tape.gradient(loss, [xt, *layer.trainable_variables])]
    if BACKEND.name == "torch":
        import torch

        xt = torch.tensor(x, requires_grad=True)
        for v in layer.trainable_variables:
            v.value.grad = None
        (layer(xt) ** 2).sum().backward()
        return [
            g.detach().numpy()
            for g in (xt.grad, *(v.value.grad for v in layer.trainable_variables))
        ]
    import jax

    trainable = [v.value for v in layer.trainable_variables]
    fixed = [v.value for v in layer.non_trainable_variables]

    def loss(weights, inputs):
        out, _ = layer.stateless_call(weights, fixed, inputs)
        return (out**2).sum()

    g_weights, g_x = jax.grad(loss, argnums=(0, 1))(trainable, x)
    return [np.asarray(g) for g in (g_x, *g_weights)]


@pytest.mark.parametrize("return_sequences", [False, True])
def test_fused_lstm_same_outputs_and_gradients_as_keras_lstm(return_sequences, monkeypatch):
    calls = []
    if BACKEND.name == "torch":  # the fused op must run, not Keras' per-step Python loop
        import torch

        original = torch._VF.lstm
        monkeypatch.setattr(torch._VF, "lstm", lambda *a: calls.append(1) or original(*a))
    x, fused, plain = _lstm_pair(return_sequences=return_sequences)
    np.testing.assert_allclose(_np(fused(x)), _np(plain(x)), rtol=1e-5, atol=1e-6)
    for g_fused, g_plain in zip(_gradients(fused, x), _gradients(plain, x), strict=True):
        np.testing.assert_allclose(g_fused, g_plain, rtol=1e-4, atol=1e-5)
    if BACKEND.name == "torch":
        assert calls, "FusedLSTM did not run torch._VF.lstm on CPU"


@pytest.mark.parametrize(
    "kwargs",
    [{"go_backwards": True}, {"stateful": True}, {"use_cudnn": False}],
    ids=["go_backwards", "stateful", "use_cudnn=False"],
)
def test_fused_lstm_falls_back_to_keras_where_the_kernel_does_not_apply(kwargs, monkeypatch):
    fused_calls = []
    original = BACKEND.fused_lstm
    monkeypatch.setattr(BACKEND, "fused_lstm", lambda *a: fused_calls.append(1) or original(*a))
    x, fused, plain = _lstm_pair(**kwargs)  # go_backwards: the backward half of Bidirectional
    if kwargs.get("stateful"):  # the building call left each its own state
        fused.reset_state()
        plain.reset_state()
    for _ in range(2):  # a stateful layer carries its state into the second call
        np.testing.assert_allclose(_np(fused(x)), _np(plain(x)), rtol=1e-5, atol=1e-6)
    assert not fused_calls


def test_each_backend_has_its_fast_lstm_and_step_limit():
    expected = {"tensorflow": "CPUUnrolledLSTM", "torch": "FusedLSTM", "jax": "LSTM"}
    assert fast_lstm().__name__ == expected[BACKEND.name]
    # PyTorch's trainer refuses steps_per_execution > 1 (keras/src/backend/torch/trainer.py).
    assert auto_steps_per_execution(16) == (1 if BACKEND.name == "torch" else 32)
    assert LSTMClassifier(batch_size=16)._steps_per_execution() == auto_steps_per_execution(16)


def test_steps_per_execution_beyond_the_backends_limit_is_refused_clearly(monkeypatch):
    monkeypatch.setattr(BACKEND, "max_steps_per_execution", 1)  # as PyTorch's trainer
    with pytest.raises(ValueError, match="steps_per_execution='auto' \\(or 1\\)"):
        LSTMClassifier(steps_per_execution=4)._steps_per_execution()
    assert LSTMClassifier(steps_per_execution=1)._steps_per_execution() == 1


@pytest.mark.skipif(BACKEND.name != "tensorflow", reason="tf.data: the TensorFlow backend's")
def test_tensorflow_batches_come_without_tf_datas_autotuning():
    """The package's batches come from a generator into a buffer of two: nothing to tune.
    tf.data's autotuning thread made each dropped iterator (every epoch's, every
    validation's) wait for the end of the thread's timed wait: fits of the main job sat
    idle 5-20 s, two to four times per task (``TensorFlowBackend.dataset_of_batches``)."""
    from mnist_estimators._keras.data import SeededArrays

    X, y = np.arange(24, dtype=np.float32).reshape(6, 4), np.arange(6)
    data = SeededArrays(X, y, batch_size=4, seed=0, transform=lambda x: x * 2)
    dataset = data.get_tf_dataset()
    assert dataset.options().autotune.enabled is False
    batches = [(bx.numpy(), by.numpy()) for bx, by in dataset]
    order = np.random.RandomState(0).permutation(6)  # the same batches as before
    np.testing.assert_array_equal(batches[0][0], X[order[:4]] * 2)
    np.testing.assert_array_equal(batches[1][1], y[order[4:]])


# -- seeding and pickling --------------------------------------------------------------
@pytest.fixture(scope="module")
def mnist_split(mnist_small):
    X, y, Xt, yt = mnist_small
    return X[:1000] / 255, y[:1000], Xt[:500] / 255, yt[:500]


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: CNNClassifier(filters=8, epochs=2, batch_size=32, random_state=seed),
        lambda seed: LSTMClassifier(units=32, epochs=2, random_state=seed),
    ],
    ids=["cnn", "lstm"],
)
def test_same_seed_identical_predictions_and_pickle_round_trip(make, mnist_split):
    X, y, Xt, yt = mnist_split
    a, b, other = make(0).fit(X, y), make(0).fit(X, y), make(1).fit(X, y)
    proba = a.predict_proba(Xt)
    np.testing.assert_array_equal(proba, b.predict_proba(Xt))  # bit for bit, on CPU
    assert not np.array_equal(proba, other.predict_proba(Xt))  # the seed does matter
    assert a.score(Xt, yt) > 0.3  # it learnt: ten classes, chance is 0.1
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict_proba(Xt), proba)


# -- where the fits run ------------------------------------------------------------------
def test_a_visible_gpu_gets_one_process_and_workers_a_memory_share(monkeypatch):
    """No GPU here: the backend is made to report one, as it would on the lent H200."""
    monkeypatch.setattr(BACKEND, "gpu_count", lambda: 1)
    assert parallel.resolve_n_jobs("auto", 10**6) == 1
    assert parallel.default_n_jobs(10**6, memory_bytes=128 * 2**30) == 1
    assert parallel.worker_gpu_share(2) == pytest.approx(0.45)
    monkeypatch.setattr(BACKEND, "gpu_count", lambda: 0)
    assert parallel.worker_gpu_share(2) is None
    assert parallel.default_n_jobs(10**6, memory_bytes=128 * 2**30) == parallel.usable_cores()


def test_a_jax_worker_gets_its_threads_and_gpu_share_before_jax_starts(monkeypatch):
    for name in ("XLA_FLAGS", "XLA_PYTHON_CLIENT_MEM_FRACTION"):
        monkeypatch.setenv(name, "")  # so that monkeypatch restores the variable after
        monkeypatch.delenv(name)
    monkeypatch.setattr(backends.JaxBackend, "_initialised", staticmethod(lambda: False))
    assert backends.JaxBackend().configure_worker(1, 0.45)
    assert "intra_op_parallelism_threads=1" in os.environ["XLA_FLAGS"]
    assert os.environ["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.450"
    monkeypatch.setattr(backends.JaxBackend, "_initialised", staticmethod(lambda: True))
    assert not backends.JaxBackend().configure_worker(1, 0.2)  # too late: nothing changes
    assert os.environ["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.450"


def test_a_worker_on_another_backend_refuses_the_task(monkeypatch):
    task = parallel._WorkerTask(len)
    monkeypatch.setattr(task, "backend", "jax" if BACKEND.name != "jax" else "torch")
    with pytest.raises(parallel.BackendMismatchError, match=f"KERAS_BACKEND={task.backend}"):
        task([1, 2])


def test_a_folder_of_another_backend_is_not_resumed(tmp_path):
    config = {"models": {}, "data": "d", "backend": BACKEND.name}
    RecordStore(tmp_path, config)
    stored = json.loads((tmp_path / "config.json").read_text())
    stored["backend"] = "jax" if BACKEND.name != "jax" else "torch"
    (tmp_path / "config.json").write_text(json.dumps(stored))
    with pytest.raises(ComparisonConfigError, match=f"--backend {stored['backend']}"):
        RecordStore(tmp_path, config)


def test_configured_backend_follows_keras_rule(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)  # as before Keras is imported
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert backends.configured_backend() == "tensorflow"
    (tmp_path / "keras.json").write_text('{"backend": "torch"}')
    assert backends.configured_backend() == "torch"
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert backends.configured_backend() == "jax"


# -- nothing imports TensorFlow on another backend ---------------------------------------
#: Records, in every process of the run (workers included: they inherit PYTHONPATH), any
#: attempt to import TensorFlow, and refuses it. The finder is asked whether TensorFlow is
#: installed or not, so the test proves the same in a venv without it (CI's) as in one
#: with it; only the package's own deliberate hiding of TensorFlow while scikeras loads
#: (sys.modules["tensorflow"] = None) is not an attempt.
_TENSORFLOW_TRAP = textwrap.dedent(
    """
    import os, sys, traceback

    class _Trap:
        def find_spec(self, name, path=None, target=None):
            if name == "tensorflow" or name.startswith("tensorflow."):
                with open(os.environ["TENSORFLOW_IMPORTS"], "a") as f:
                    f.write(f"{os.getpid()} {name}\\n" + "".join(traceback.format_stack(limit=12)))
                raise ImportError(f"{name} is trapped by the test")
            return None

    sys.meta_path.insert(0, _Trap())
    """
)


def _other_backend() -> str | None:
    if BACKEND.name != "tensorflow":
        return BACKEND.name
    for name in ("jax", "torch"):
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def test_another_backend_runs_the_command_line_with_workers_and_never_imports_tensorflow(
    tmp_path, mnist_dir
):
    backend = _other_backend()
    if backend is None:
        pytest.skip("needs JAX or PyTorch installed: CI runs this in its backend venvs")
    trap = tmp_path / "trap"
    trap.mkdir()
    (trap / "sitecustomize.py").write_text(_TENSORFLOW_TRAP)
    log = tmp_path / "tensorflow_imports.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(trap), os.environ.get("PYTHONPATH", "")]),
        "TENSORFLOW_IMPORTS": str(log),
        "MNIST_ESTIMATORS_DATA": str(mnist_dir),
    }
    env.pop("KERAS_BACKEND", None)  # --backend alone must select it, workers included
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "mnist_estimators.cli", "compare", "--backend", backend]
    cmd += ["--max-samples", "400", "--max-test-samples", "200", "--epochs", "1", "--cv", "2"]
    cmd += ["--n-jobs", "2", "--no-progress", "--out", str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not log.exists(), log.read_text()[:3000]
    assert "2 process(es)" in done.stdout
    report = (out / "report.md").read_text()
    assert f"**Keras backend:** {backend}" in report
    assert "**Device:** CPU" in report
    assert json.loads((out / "config.json").read_text())["backend"] == backend
    summary = json.loads((out / "results.json").read_text())["summary"]
    assert set(summary) == {"CNN", "LSTM"}
    assert all(row["test_accuracy"] > 0.3 for row in summary.values())  # chance: 0.1


def test_the_command_line_refuses_a_backend_keras_cannot_switch_to(tmp_path, capsys):
    from mnist_estimators.cli import main

    other = "jax" if BACKEND.name != "jax" else "torch"
    saved = os.environ.get("KERAS_BACKEND")
    code = main(
        ["compare", "--backend", other, "--dataset", "digits", "--out", str(tmp_path / "r")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert (
        f"--backend {other}" in err
        and f"already loaded in this process with the {BACKEND.name!r}" in err
    )
    assert os.environ.get("KERAS_BACKEND") == saved  # the caller's environment is left alone
    assert not (tmp_path / "r").exists()  # refused before anything was written


@pytest.mark.parametrize("unroll", [True, False])
def test_on_a_gpu_the_classifier_lstm_leaves_the_cudnn_choice_to_keras(unroll, monkeypatch):
    """Keras picks cuDNN in ``backend.lstm`` (TensorFlow, PyTorch; JAX >= 3.14 through
    jax.experimental.rnn). No GPU here: one is simulated, and ``backend.lstm`` is spied
    on, raising NotImplementedError as it does where cuDNN does not apply."""
    from keras.src.layers.rnn import lstm as keras_lstm_module

    from mnist_estimators._keras import layers as layers_module

    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs.get("unroll"))
        raise NotImplementedError

    monkeypatch.setattr(keras_lstm_module.backend, "lstm", spy)
    monkeypatch.setattr(layers_module, "gpu_visible", lambda: True)
    inputs = keras.Input((28, 28))
    model = keras.Model(inputs, LSTMClassifier(units=8, unroll=unroll).build_network(inputs, 10))
    model(np.random.default_rng(0).random((4, 28, 28), dtype=np.float32))
    assert calls and not any(calls)  # asked, with unroll=False: cuDNN may apply
