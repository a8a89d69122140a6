"""Measurements: throughput, the fixed cost of a fit, time to accuracy, peak memory."""

from __future__ import annotations

import time

import numpy as np

from mnist_estimators import REFERENCE_TRAINING
from mnist_estimators._keras.reuse import empty_pool, package_loop
from mnist_estimators._keras.runtime import fresh_layer_names, keras

from .networks import PREDICT_BATCH, _images, keras_network
from .runners import MAKERS, variants


def throughput(
    model: str,
    X: np.ndarray,
    y: np.ndarray,
    Xt: np.ndarray,
    epochs: int,
    repeats: int,
    batch_sizes: list[int],
    with_torch: bool,
) -> dict[str, list[dict[str, float]]]:
    """Training and prediction images/s of every variant, ``repeats`` times, interleaved.

    Round ``r`` runs every variant once (see :func:`runners.variants`) before round
    ``r + 1`` starts; each run prints a line.

    Parameters
    ----------
    model : {"cnn", "lstm"}
        Which network.
    X, y : np.ndarray
        Training images (flat, 0-255) and labels.
    Xt : np.ndarray
        Images to predict.
    epochs : int
        Training epochs of every fit.
    repeats : int
        Rounds.
    batch_sizes : list of int
        Batch sizes of the variants.
    with_torch : bool
        Include the PyTorch variants.

    Returns
    -------
    dict
        Variant name -> one sample a round, each ``{"train_images_per_s": len(y) *
        epochs / fit seconds, "predict_images_per_s": len(Xt) / predict seconds}``.
    """
    runs = variants(model, batch_sizes, with_torch)
    samples: dict[str, list] = {name: [] for name in runs}
    for r in range(repeats):  # interleaved: every variant once per round
        for name, run in runs.items():
            fit, predict = run(X, y, Xt, epochs)
            samples[name].append(
                {
                    "train_images_per_s": len(y) * epochs / fit,
                    "predict_images_per_s": len(Xt) / predict,
                }
            )
            print(
                f"  [{model} round {r + 1}/{repeats}] {name}: {samples[name][-1]['train_images_per_s']:.0f} img/s",
                flush=True,
            )
    return samples


def matmul_peak(size: int = 2048, repeats: int = 10) -> float:
    """The machine's float32 matrix-product rate in FLOP/s: the best of ``repeats`` products.

    ``keras.ops.matmul`` of two ``size`` x ``size`` matrices on the running backend,
    timed after a warm-up; ``2 * size**3`` operations each.
    """
    a = keras.ops.ones((size, size), dtype="float32")
    keras.ops.convert_to_numpy(keras.ops.matmul(a, a))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        keras.ops.convert_to_numpy(keras.ops.matmul(a, a))
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best


def fixed_cost(model: str, X: np.ndarray, y: np.ndarray, repeats: int) -> dict[str, list[float]]:
    """Seconds of a fit on 64 images (one batch of 64): clone, build, trace, first batch.

    Parameters
    ----------
    model : {"cnn", "lstm"}
        Which network.
    X, y : np.ndarray
        Training images (flat, 0-255) and labels; the first 64 are used.
    repeats : int
        Fits of each.

    Returns
    -------
    dict
        ``{"ours": [...], "ours_user_fit": [...], "keras": [...]}``, seconds: our
        estimator at the reference's training settings inside the package's own loops
        (a fold of compare: the first fit compiles its network, the next ones reuse it,
        :mod:`mnist_estimators._keras.reuse`); the same estimator fitted by a user
        outside them (every fit compiles a network of its own); and the plain Keras
        network as compiled by default.
    """
    Xs, ys = X[:64], y[:64]
    out = {"ours": [], "ours_user_fit": [], "keras": []}
    empty_pool()  # the networks pooled by the throughput runs

    def ours() -> float:
        pipe = MAKERS[model](
            epochs=1,
            batch_size=64,
            random_state=0,
            **{k: v for k, v in REFERENCE_TRAINING.items() if k != "batch_size"},
        )
        start = time.perf_counter()
        pipe.fit(Xs, ys)
        return time.perf_counter() - start

    for _ in range(repeats):
        with package_loop():
            out["ours"].append(ours())
        out["ours_user_fit"].append(ours())
        start = time.perf_counter()
        with fresh_layer_names():  # not clear_session: see runners.run_keras
            net = keras_network(model)
        net.fit(_images(model, Xs), ys, batch_size=64, epochs=1, verbose=0)
        out["keras"].append(time.perf_counter() - start)
    return out


class _TestAccuracyClock(keras.callbacks.Callback):
    """After each epoch: training seconds so far (evaluation excluded) and test accuracy."""

    def __init__(self, X_test, y_test):
        super().__init__()
        self.X_test, self.y_test = X_test, y_test
        self.start, self.paused, self.points = None, 0.0, []

    def on_epoch_end(self, epoch, logs=None):
        t = time.perf_counter()
        acc = float(
            (
                self.model.predict(self.X_test, batch_size=PREDICT_BATCH, verbose=0).argmax(1)
                == self.y_test
            ).mean()
        )
        self.points.append((t - self.start - self.paused, acc))
        self.paused += time.perf_counter() - t


def time_to_accuracy(
    model: str, X: np.ndarray, y: np.ndarray, Xt: np.ndarray, yt: np.ndarray
) -> dict:
    """Training seconds our defaults need to reach the reference's test accuracy.

    The reference configuration (``REFERENCE_TRAINING``, 5 epochs) is trained both as
    the notebook ran it (plain Keras, batch 32) and as our estimator runs it; its
    test accuracy after 5 epochs is the target, its training time the yardstick.
    Evaluation time is excluded from every clock.

    Parameters
    ----------
    model : {"cnn", "lstm"}
        Which network.
    X, y : np.ndarray
        Training images (flat, 0-255) and labels.
    Xt, yt : np.ndarray
        Test images and labels.

    Returns
    -------
    dict
        ``reference_curve``, ``defaults_curve``, ``reference_keras_curve``: the
        ``(seconds, test accuracy)`` after each epoch; and for ``reference`` (ours) and
        ``reference_keras`` (plain Keras): ``target_accuracy``, ``reference_seconds``,
        ``defaults_seconds`` (None if never reached) and their ``ratio``.
    """
    clocks = {}
    for name, params in (("reference", dict(REFERENCE_TRAINING)), ("defaults", {})):
        clock = _TestAccuracyClock(_images(model, Xt), yt)
        pipe = MAKERS[model](epochs=5, random_state=0, callbacks=[clock], **params)
        clock.start = time.perf_counter()
        pipe.fit(X, y)
        clocks[name] = clock.points
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    clock = _TestAccuracyClock(_images(model, Xt), yt)
    clock.start = time.perf_counter()
    keras_network(model).fit(
        _images(model, X), y, batch_size=32, epochs=5, verbose=0, callbacks=[clock]
    )
    clocks["reference_keras"] = clock.points
    out = {f"{name}_curve": points for name, points in clocks.items()}
    for ref in ("reference", "reference_keras"):
        target_time, target_acc = clocks[ref][-1]
        reached = next((t for t, acc in clocks["defaults"] if acc >= target_acc), None)
        out[ref] = {
            "target_accuracy": target_acc,
            "reference_seconds": target_time,
            "defaults_seconds": reached,
            "ratio": None if reached is None else reached / target_time,
        }
    return out


def network_paths(model: str, X: np.ndarray, y: np.ndarray, repeats: int) -> dict:
    """The computation each network takes at its defaults, and every candidate's speed.

    The LSTM: every path of :mod:`mnist_estimators._keras.paths`, timed in interleaved
    rounds at the default batch for these images (:func:`~mnist_estimators._keras.paths.measure`),
    and the one ``unroll="auto"`` takes here. The CNN has one computation per process
    (Keras' ``Conv2D``); on TensorFlow, oneDNN's state is fixed when TensorFlow starts, and
    the machine line says which it is.
    """
    from mnist_estimators._keras import paths
    from mnist_estimators.estimators import auto_training

    batch = auto_training(model, len(y), "auto")[0]
    if model != "lstm":
        return {"chosen": "conv2d (one computation per process)", "chosen_path": "conv2d",
                "rates": {"conv2d": float("nan")}, "batch_size": batch}  # fmt: skip
    chosen, source = paths.lstm_path("auto")
    sequences = (X.reshape(-1, 28, 28) / 255.0).astype(np.float32)
    result = paths.measure(sequences, y, batch_size=batch, repeats=repeats)
    return {
        "chosen": f"{chosen} ({source})",
        "chosen_path": chosen,
        "rates": result["rates"],
        "max_difference": result["max_difference"],
        "batch_size": batch,
    }
