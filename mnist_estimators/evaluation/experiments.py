"""The explanation experiments: do the reference notebook's reasons for its result hold?

The reference explained why its CNN beat its LSTM: the CNN exploits the local
correlations of pixels; the LSTM, reading rows as time steps, loses spatial
information; and the LSTM is slower because its recurrence cannot be
parallelised as convolutions can. Five experiments put that to the test:

* ``"spatial"`` (a): both networks trained and tested on pixel-permuted,
  row-shuffled and transposed images (:data:`CONDITIONS`), one fixed transform
  per training seed, the same for training and test;
* ``"robustness"`` (b): the networks trained on the original images, tested
  without retraining on shifted and rotated test images (:data:`SHIFTS`,
  :data:`ROTATIONS`);
* ``"learning"`` (c): learning curves from 500 to 60,000 training images
  through :func:`sklearn.model_selection.learning_curve`;
* ``"parallel"`` (d): training images per second with 1 and 2 threads at
  batch sizes 16 to 512;
* ``"calibration"`` (e): expected calibration error and reliability curves of
  the networks' probabilities on the test set.

Every unit of work (one refit, one learning-curve point, one throughput
measurement) is a :class:`~mnist_estimators.evaluation.folds.Task` whose record
is written to ``out_dir`` as soon as it finishes (:mod:`.store`), so a killed
run resumes where it stopped. The refits and learning-curve points run where
:func:`~mnist_estimators.evaluation.folds.run_all` sends them (parallel
processes, a Dask cluster); the throughput measurements run one at a time, in a
fresh process per thread count, on nothing else's time.

:func:`explain` runs any of them; :func:`spatial_structure`,
:func:`robustness`, :func:`data_efficiency`, :func:`parallel_efficiency` and
:func:`calibration` run one each. All return an
:class:`~mnist_estimators.evaluation.explanation.Explanation`.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from functools import partial

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import learning_curve
from sklearn.pipeline import Pipeline

from .. import _clock
from .._files import prepare_output_folder
from ..estimators.transforms import (
    ImageRotator,
    ImageShifter,
    ImageTransposer,
    PixelPermuter,
    RowShuffler,
)
from .compare import resolve_seeds, run_setup
from .experiment_grid import (
    BATCH_SIZES,
    EXPERIMENTS,
    FULL_GRID_FROM,
    PROCESSES,
    QUICK_BATCH_SIZES,
    ROTATIONS,
    SCHEDULES,
    SEEDS,
    SHIFTS,
    THREADS,
    TRAIN_SIZES,
)
from .explanation import ORIGINAL, Explanation, model_name
from .folds import Task, check_model_names, run_all, seeded_model
from .parallel import usable_cores
from .runs import write_run_file
from .scoring import final_step
from .store import RecordStore, digest, run_config
from .verdicts import analysis_plan

__all__ = [
    "BATCH_SIZES",
    "CONDITIONS",
    "EXPERIMENTS",
    "ROTATIONS",
    "SHIFTS",
    "TRAIN_SIZES",
    "calibration",
    "data_efficiency",
    "explain",
    "parallel_efficiency",
    "robustness",
    "spatial_structure",
]

#: Experiment a's input conditions: name -> the transformer put in front of the network
#: (its ``random_state`` is the training seed: a new fixed permutation per seed).
CONDITIONS = {
    ORIGINAL: None,
    "pixels permuted": PixelPermuter,
    "rows shuffled": RowShuffler,
    "transposed": ImageTransposer,
}


def probes(shifts: Sequence[int] = SHIFTS, rotations: Sequence[int] = ROTATIONS) -> dict:
    """Experiment b's test-set transforms: name -> unfitted transformer.

    Examples
    --------
    >>> list(probes(shifts=(-1, 2), rotations=(10,)))
    ['shift x -1', 'shift x +2', 'shift y -1', 'shift y +2', 'rotation +10']
    """
    out = {f"shift x {s:+d}": ImageShifter(dx=s) for s in shifts}
    out |= {f"shift y {s:+d}": ImageShifter(dy=s) for s in shifts}
    out |= {f"rotation {d:+g}": ImageRotator(degrees=d) for d in rotations}
    return out


def condition_model(model, condition: str):
    """``model`` trained and tested on images under ``condition`` (:data:`CONDITIONS`)."""
    transform = CONDITIONS[condition]
    if transform is None:
        return clone(model)
    return Pipeline([("condition", transform()), ("model", clone(model))])


# -- the task functions (they run in the workers) ------------------------------------
def _predict(estimator, X_test) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predictions, the predicted class's probability, and every probability (one predict_proba)."""
    proba = np.asarray(estimator.predict_proba(X_test))
    return estimator.classes_[proba.argmax(1)], proba.max(1), proba


def encode_proba(proba: np.ndarray) -> dict:
    """Probabilities as float16 bytes in base64 (a tenth of their size as JSON numbers).

    Examples
    --------
    >>> import numpy as np
    >>> decode_proba(encode_proba(np.array([[0.25, 0.75]]))).tolist()
    [[0.25, 0.75]]
    """
    data = np.ascontiguousarray(proba, dtype="<f2")
    return {"shape": list(data.shape), "float16_base64": base64.b64encode(data.tobytes()).decode()}


def decode_proba(stored: dict) -> np.ndarray:
    """The probabilities of :func:`encode_proba`, as float32."""
    data = np.frombuffer(base64.b64decode(stored["float16_base64"]), dtype="<f2")
    return data.reshape(stored["shape"]).astype(np.float32)


def refit_and_probe(task: Task, X, y, X_test, y_test, models: dict, probe_set: dict) -> dict:
    """Experiments a, b and e: fit on all of ``X``, predict the test set (and, for an
    original-condition model, the probe test sets); one record."""
    model = seeded_model(models[task.model], task.seed)
    start = _clock.now()
    model.fit(X, y)
    fit_time = _clock.now() - start
    pred, conf, proba = _predict(model, X_test)
    record = {
        "model": task.model,
        "seed": task.seed,
        "fold": None,
        "n_train": len(y),
        "fit_time": fit_time,
        "accuracy": float(np.mean(pred == y_test)),
        "predictions": pred.tolist(),
        "confidence": np.round(conf, 6).tolist(),
    }
    network, condition = task.param("network"), task.param("condition")
    record["network"], record["condition"] = network, condition
    original = condition == ORIGINAL
    if original:  # every probability, for the calibration to be rebuilt from the records
        record["proba"] = encode_proba(proba)
    if original and probe_set:
        record["probes"] = {
            name: model.predict(clone(t).fit_transform(X_test)).tolist()
            for name, t in probe_set.items()
        }
    return record


def _epochs_parameter(estimator) -> str | None:
    """The parameter name of the network's ``epochs`` (``"cnnclassifier__epochs"``), if any."""
    names = [k for k in estimator.get_params() if k == "epochs" or k.endswith("__epochs")]
    return names[-1] if names else None


def batch_size_at(estimator, n: int) -> int | None:
    """The batch size the network trains with on ``n`` images ("auto" resolved), if it has one."""
    final = clone(final_step(estimator))
    if not hasattr(final, "_resolve_training"):
        return None
    final._resolve_training(n)
    return int(final.batch_size_)


def optimizer_steps(estimator, n: int, epochs: int | None = None) -> int | None:
    """Optimizer steps of ``epochs`` epochs (the estimator's own by default) on ``n`` images."""
    batch = batch_size_at(estimator, n)
    key = _epochs_parameter(estimator)
    if batch is None or key is None:
        return None
    epochs = estimator.get_params()[key] if epochs is None else epochs
    return int(epochs) * math.ceil(n / batch)


def learning_point(task: Task, X_all, y_all, n_pool: int, models: dict, steps: dict) -> dict:
    """Experiment c: one point of one learning curve, by scikit-learn's ``learning_curve``.

    The training images are the first ``size`` of the ``n_pool`` training images in
    the seed's random order; the test images are the rest of ``X_all`` (the test set).
    The ``"epochs"`` schedule trains the network's own number of epochs at every size;
    the ``"steps"`` schedule trains every size for ``steps[network]`` optimizer steps
    (the steps of the network's own epochs on all ``n_pool`` images), as near as whole
    epochs allow: so a point measures what more data gives, not a longer training.
    """
    network, size, schedule = task.param("network"), task.param("size"), task.param("schedule")
    model = seeded_model(models[network], task.seed)
    key = _epochs_parameter(model)
    batch = batch_size_at(model, size)
    epochs = model.get_params()[key] if key else None
    if schedule == "steps" and key is not None and batch is not None:
        per_epoch = math.ceil(size / batch)
        epochs = max(1, round(steps[network] / per_epoch))
        model.set_params(**{key: epochs})
    order = np.random.RandomState(task.seed).permutation(n_pool)
    split = [(order, np.arange(n_pool, len(y_all)))]
    sizes, train, test, fit_times, _ = learning_curve(
        model,
        X_all,
        y_all,
        train_sizes=[size],
        cv=split,
        scoring="accuracy",
        shuffle=False,
        return_times=True,
        error_score="raise",
    )
    return {
        "model": task.model,
        "seed": task.seed,
        "fold": None,
        "network": network,
        "schedule": schedule,
        "n_train": int(sizes[0]),
        "epochs": None if epochs is None else int(epochs),
        "steps": None if batch is None or epochs is None else int(epochs) * math.ceil(size / batch),
        "train_accuracy": float(train[0, 0]),
        "test_accuracy": float(test[0, 0]),
        "fit_time": float(fit_times[0, 0]),
    }


def measure_throughput(task: Task, X, y, models: dict, repeats: int) -> dict:
    """Experiment d: training images per second of one network at one batch size, in
    this process's threads: one untimed fit (it builds and traces the network), then
    ``repeats`` timed one-epoch fits of the reused network on the same images. The
    process is the replicate (``r`` in the task's name): each process measures every
    network and batch size once.

    ``images_per_s`` divides by the epoch's own time (Keras' epoch, timed by
    :class:`~mnist_estimators.EpochTimer`): the network's training, what claim 3 is
    about. ``fit_images_per_s`` divides by the whole ``fit``, which also holds its
    fixed cost: on the test machines, Keras' ``fit`` sometimes took 1-2 s longer
    after its last epoch had ended (in the deallocation as it returns, seen in a
    profile; cause inside Keras or TensorFlow not isolated), which made wall-clock
    rates fall into levels near 1,500 and 3,000 images/s whatever the network.
    """
    network, batch = task.param("network"), task.param("batch_size")
    threads, replicate = task.param("threads"), task.param("replicate")
    est = seeded_model(models[network], task.seed)
    final = final_step(est)
    final.set_params(batch_size=batch, epochs=1, verbose=0)
    est.fit(X, y)  # untimed: the first fit of a network compiles it
    epoch_rates, fit_rates = [], []
    for _ in range(repeats):
        start = _clock.now()
        est.fit(X, y)
        fit_rates.append(len(y) / (_clock.now() - start))
        epoch_rates.append(len(y) / final.history_["epoch_time"][-1])
    return {
        "model": task.model,
        "seed": task.seed,
        "fold": None,
        "network": network,
        "batch_size": batch,
        "threads": threads,
        "replicate": replicate,
        "images_per_s": epoch_rates,
        "fit_images_per_s": fit_rates,
    }


# -- orchestration ---------------------------------------------------------------
def _check_inputs(models, X, y, X_test, y_test):
    if not models:
        raise ValueError("models must be a non-empty dict of name -> estimator.")
    check_model_names(models)
    if X_test is None or y_test is None:
        raise ValueError("The explanation experiments need a test set: pass X_test and y_test.")
    return (np.asarray(a) for a in (X, y, X_test, y_test))


def _experiments(experiments) -> list[str]:
    names = [experiments] if isinstance(experiments, str) else list(experiments)
    by_letter = {letter: name for name, letter in EXPERIMENTS.items()}
    out = [by_letter.get(e, e) for e in names]
    bad = [e for e in out if e not in EXPERIMENTS]
    if bad or not out:
        raise ValueError(
            f"experiments must be among {list(EXPERIMENTS)} (or their letters a-e), got "
            f"{experiments!r}."
        )
    return list(dict.fromkeys(out))


def _store(out_dir, part: str, config: dict) -> RecordStore:
    return RecordStore(None if out_dir is None else f"{out_dir}/{part}", config)


def explain(
    models: dict,
    X,
    y,
    X_test,
    y_test,
    *,
    experiments: Sequence[str] = tuple(EXPERIMENTS),
    seeds=SEEDS,
    random_state: int | None = 0,
    train_sizes: Sequence[int] = TRAIN_SIZES,
    schedules: Sequence[str] = SCHEDULES,
    batch_sizes: Sequence[int] | str = "auto",
    threads: Sequence[int] = THREADS,
    throughput_images: int = 4096,
    processes: int = PROCESSES,
    repeats: int = 3,
    shifts: Sequence[int] = SHIFTS,
    rotations: Sequence[int] = ROTATIONS,
    n_jobs: int | None = None,
    scheduler=None,
    out_dir=None,
    progress: bool = True,
    setup: dict | None = None,
) -> Explanation:
    """Run the explanation experiments (see the module docstring) and collect their results.

    Parameters
    ----------
    models : dict of str -> estimator
        Usually ``{"CNN": make_cnn_pipeline(), "LSTM": make_lstm_pipeline()}``;
        the tests compare the first two.
    X, y : arrays
        Training images (flat, raw pixels: each model scales its own) and labels.
    X_test, y_test : arrays
        The test set every experiment tests on.
    experiments : sequence of str, default=all five
        Names of :data:`EXPERIMENTS` or their letters, e.g. ``("spatial", "d")``.
    seeds : int or list of int, default=5
        Training seeds (an int n: ``random_state, random_state + 1, ...``). Each
        seed also draws experiment a's permutations and experiment c's subsets.
        Verdicts need at least 5 (:data:`~.verdicts.MIN_REPLICATES`): with fewer,
        every endpoint is described but called inconclusive.
    random_state : int, default=0
        First seed when ``seeds`` is an int.
    train_sizes : sequence of int, default=TRAIN_SIZES
        Experiment c's training sizes; sizes above ``len(y)`` are left out (and
        ``len(y)`` itself added).
    schedules : sequence of {"steps", "epochs"}, default=("steps", "epochs")
        Experiment c's training budgets: the same number of optimizer steps at every
        size (the primary endpoint's, when it ran), and the network's own epochs at
        every size.
    batch_sizes : sequence of int or "auto", default="auto"
        Experiment d's batch sizes; "auto": ``BATCH_SIZES`` from
        ``FULL_GRID_FROM`` (20,000) training images on, else ``QUICK_BATCH_SIZES``
        (32, 128, 512), so that a quick run stays quick.
    threads : sequence of int
        Experiment d's thread counts.
    throughput_images : int, default=4096
        Images per timed epoch in experiment d.
    processes : int, default=5
        Experiment d's replicates: fresh processes per thread count, each measuring
        every network and batch size (the unit of its tests; verdicts need 5).
    repeats : int, default=3
        Timed epochs per point in each process (their median is the process's
        rate: on the 2-core test machines, about one fit in four or five stalled
        for about 1.3 s inside TensorFlow's execution, at random).
    shifts, rotations : sequence of int
        Experiment b's shifts (pixels, applied along x and along y) and rotations (degrees).
    n_jobs, scheduler
        Where the refits and learning-curve points run, as for
        :func:`~mnist_estimators.compare_models`. Experiment d always runs alone,
        one process per thread count.
    out_dir : str or Path, default=None
        Folder of the resumable records (``refits/``, ``learning/``, ``parallel/``);
        the same call with the same folder skips finished work. The analysis plan is
        stored in each part's configuration before any training, and
        ``explain.json`` at the end: with the records, it rebuilds the report
        (:func:`~.runs.load_run`, ``mnist-estimators report``).
    progress : bool, default=True
        Progress bars, when standard error is a terminal.
    setup : dict, default=None
        Extra lines for the report's "Setup" section.

    Returns
    -------
    Explanation

    Examples
    --------
    >>> from mnist_estimators import load_digits_images, make_cnn_pipeline, make_lstm_pipeline
    >>> from mnist_estimators.evaluation.experiments import explain
    >>> X, y = load_digits_images(return_X_y=True)
    >>> models = {"CNN": make_cnn_pipeline(epochs=1, filters=4),
    ...           "LSTM": make_lstm_pipeline(epochs=1, units=8)}
    >>> ex = explain(models, X[:300], y[:300], X[300:400], y[300:400],
    ...              experiments="robustness", seeds=1, shifts=(2,), rotations=(),
    ...              progress=False)
    >>> ex.robustness[["network", "probe", "amount"]].drop_duplicates().values.tolist()
    [['CNN', 'shift x', 0], ['CNN', 'shift x', 2], ['CNN', 'shift y', 0], ['CNN', 'shift y', 2], ['LSTM', 'shift x', 0], ['LSTM', 'shift x', 2], ['LSTM', 'shift y', 0], ['LSTM', 'shift y', 2]]
    """
    X, y, X_test, y_test = _check_inputs(models, X, y, X_test, y_test)
    wanted = _experiments(experiments)
    schedules = _schedules(schedules)
    start = _clock.now()
    seed_list = resolve_seeds(seeds, random_state)
    records: dict[str, list] = {}
    run = {"n_jobs": n_jobs, "scheduler": scheduler, "progress": progress}
    plan = analysis_plan()
    if isinstance(batch_sizes, str):
        if batch_sizes != "auto":
            raise ValueError(f"batch_sizes must be a list of ints or 'auto', got {batch_sizes!r}.")
        batch_sizes = BATCH_SIZES if len(y) >= FULL_GRID_FROM else QUICK_BATCH_SIZES
    batch_sizes = [int(b) for b in batch_sizes]

    if "parallel" in wanted:  # first, alone: nothing else may share its cores
        records["parallel"] = _run_parallel(
            models, X, y, batch_sizes, threads, throughput_images, processes, repeats,
            out_dir, progress, plan,
        )  # fmt: skip
    conditions = [ORIGINAL] * bool({"robustness", "calibration"} & set(wanted))
    if "spatial" in wanted:
        conditions = list(CONDITIONS)
    if conditions:
        parts = {model_name(net, c): (net, c) for net in models for c in conditions}
        refit_models = {name: condition_model(models[net], c) for name, (net, c) in parts.items()}
        probe_set = probes(shifts, rotations) if "robustness" in wanted else {}
        config = {
            **run_config(refit_models, X, y, X_test, y_test, "refit", False),
            "probes": list(probe_set),
            "plan": plan,
        }
        tasks = [
            Task(name, s, params=(("network", net), ("condition", c)))
            for s in seed_list
            for name, (net, c) in parts.items()
        ]
        shared = (X, y, X_test, y_test, refit_models, probe_set)
        records["refits"] = run_all(
            tasks,
            shared,
            _store(out_dir, "refits", config),
            desc="refits",
            func=refit_and_probe,
            **run,
        )
    steps = {}
    if "learning" in wanted:
        sizes = sorted({int(s) for s in train_sizes if 10 <= s < len(y)} | {len(y)})
        X_all, y_all = np.concatenate([X, X_test]), np.concatenate([y, y_test])
        steps = {net: optimizer_steps(m, len(y)) for net, m in models.items()}
        config = {**run_config(models, X, y, X_test, y_test, "learning_curve", False)}
        config |= {"train_sizes": sizes, "schedules": schedules, "steps": steps, "plan": plan}
        # On all the training images, the steps schedule is the network's own epochs: that
        # point is fitted once, under "epochs", and stands for both (Explanation._learning).
        tasks = [
            Task(f"{net} @{n} {schedule}", s,
                 params=(("network", net), ("size", n), ("schedule", schedule)))
            for schedule in schedules for s in seed_list for n in sizes for net in models
            if not (schedule == "steps" and n == len(y) and "epochs" in schedules)
        ]  # fmt: skip
        shared = (X_all, y_all, len(y), models, steps)
        records["learning"] = run_all(
            tasks, shared, _store(out_dir, "learning", config), desc="learning curves",
            func=learning_point, **run,
        )  # fmt: skip
    call = (
        f"explain(models={list(models)}, X, y, X_test, y_test, experiments={wanted}, "
        f"seeds={seed_list})"
    )
    config = {
        "experiments": wanted,
        "seeds": seed_list,
        "data": digest(X, y),
        "test_data": digest(X_test, y_test),
        "n_train": len(y),
        "n_test": len(y_test),
        "plan": plan,
        "shifts": [int(v) for v in shifts],
        "rotations": [float(v) for v in rotations],
        "train_sizes": sorted({int(s) for s in train_sizes if 10 <= s < len(y)} | {len(y)}),
        "schedules": schedules,
        "steps": steps,
        "batch_sizes": batch_sizes,
        "threads": [int(k) for k in threads],
        "processes": int(processes),
        "repeats": int(repeats),
        "throughput_images": min(int(throughput_images), len(y)),
        "cores": usable_cores(),
        "setup": run_setup(call, start, setup),
    }
    if out_dir is not None:
        write_run_file(prepare_output_folder(out_dir), "explain", list(models), config, y_test)
    return Explanation.from_records(records, list(models), y_test, config)


def _schedules(schedules) -> list[str]:
    names = [schedules] if isinstance(schedules, str) else list(schedules)
    bad = [s for s in names if s not in SCHEDULES]
    if bad or not names:
        raise ValueError(f"schedules must be among {list(SCHEDULES)}, got {schedules!r}.")
    return list(dict.fromkeys(names))


def _run_parallel(
    models, X, y, batch_sizes, threads, n_images, processes, repeats, out_dir, progress, plan
):
    """Experiment d: ``processes`` replicates, each a fresh process per thread count
    measuring every (network, batch size); replicate after replicate, so that a drift
    of the machine's speed spreads over all conditions."""
    n = min(int(n_images), len(y))
    X, y = X[:n], y[:n]
    config = {
        **run_config(models, X, y, None, None, "throughput", False),
        "repeats": int(repeats),
        "cores": usable_cores(),
        # Declared before the run: the rate and its replicate.
        "rate": "images per second of the timed epoch; a process's rate is the median of its epochs",
        "replicate": "a fresh process per thread count, measuring every network and batch size",
        "plan": plan,
    }
    store = _store(out_dir, "parallel", config)
    func = partial(measure_throughput, repeats=repeats)
    records = []
    for r in range(int(processes)):
        for k in threads:  # one fresh process per thread count and replicate
            tasks = [
                Task(f"{net} b{b} t{k} r{r}", 0,
                     params=(("network", net), ("batch_size", b), ("threads", k),
                             ("replicate", r)))
                for b in batch_sizes for net in models
            ]  # fmt: skip
            records += run_all(
                tasks, (X, y, models), store, progress=progress,
                desc=f"throughput, process {r + 1}/{processes}, {k} thread(s)", func=func,
                threads=k,
            )  # fmt: skip
    return records


def _one(experiment: str):
    def run(models, X, y, X_test, y_test, **kwargs) -> Explanation:
        return explain(models, X, y, X_test, y_test, experiments=(experiment,), **kwargs)

    run.__name__ = {
        "spatial": "spatial_structure",
        "robustness": "robustness",
        "learning": "data_efficiency",
        "parallel": "parallel_efficiency",
        "calibration": "calibration",
    }[experiment]
    run.__qualname__ = run.__name__
    run.__doc__ = (
        f"Experiment {EXPERIMENTS[experiment]} ({experiment!r}) alone: "
        f"``explain(..., experiments=({experiment!r},))``; see :func:`explain`."
    )
    return run


spatial_structure = _one("spatial")
robustness = _one("robustness")
data_efficiency = _one("learning")
parallel_efficiency = _one("parallel")
calibration = _one("calibration")
