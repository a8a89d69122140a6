"""The ``mnist-estimators`` command line: compare, grid-search, datasets.

Parsing and the handlers only: each handler calls the library (data loading,
pipelines, the fold checks, where the fits run, the report) and turns its
errors into exit codes. Bad arguments print one line and exit 2; missing data or
a refused output folder print the reason and exit 1. No traceback either way.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import warnings
from pathlib import Path

from . import __version__
from ._files import OutputFolderError, prepare_output_folder
from ._keras.backends import BACKENDS, UnsupportedBackendError, configured_backend
from .datasets import (
    LOADERS,
    DataFileError,
    DatasetNotFoundError,
    IncompleteDatasetWarning,
    describe_datasets,
    load_train_test,
)
from .estimators._defaults import AUTO_TRAINING, REFERENCE_TRAINING, TRAINING_DEFAULTS
from .estimators.errors import UnsafeModelFileError
from .estimators.registry import MODELS, REFERENCE_MODELS, import_object, model_names
from .evaluation.errors import (
    BackendMismatchError,
    ComparisonConfigError,
    DaskUnavailableError,
    FoldsError,
    RunNotFoundError,
    SchedulerUnreachableError,
)
from .evaluation.experiment_grid import (
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

# The handlers import what trains and reports (TensorFlow with it) when they run, so
# that --help and the datasets command start in a fraction of a second.

__all__ = ["build_parser", "main"]

DATASET_CHOICES = tuple(LOADERS)
#: ``--models all``: every model of the registry.
ALL_MODELS = "all"


def _reference_training() -> str:
    """``Adam 0.001, constant, batch 32, ...``: the reference's training, read from its table."""
    ref = REFERENCE_TRAINING
    scaled = "standardised pixels" if ref["standardize"] else "pixels in [0, 1]"
    return (
        f"Adam {ref['learning_rate']:g}, {ref['lr_schedule']}, batch {ref['batch_size']}, {scaled}"
    )


def _default_batch_sizes() -> str:
    """``CNN 32/64/128 ...``: each network's own batch size by data size, read from the table."""
    parts = []
    for m in model_names("network"):
        size = TRAINING_DEFAULTS.get(m, {}).get("batch_size", "auto")
        if size == "auto":
            rows = AUTO_TRAINING.get(m, AUTO_TRAINING["reference"])["batch_sizes"]
            size = ", ".join(
                f"{b} up to {bound:,} images" if bound else f"{b} beyond" for bound, b in rows
            )
            if len(rows) == 1:
                size = f"{rows[0][1]} at every size"
        parts.append(f"{MODELS[m].label} {size}")
    return "; ".join(parts)


def _models_help() -> str:
    """Each model of the registry with its one line, for --help."""
    return "; ".join(f"{name}: {spec.description}" for name, spec in MODELS.items())


def _model_arg(text: str) -> str:
    """A model of the registry, 'all', or the import path of a factory of your own."""
    text = text.strip()
    if text == ALL_MODELS or text in MODELS or ":" in text:
        return text
    raise argparse.ArgumentTypeError(
        f"expected a model ({', '.join(MODELS)}), '{ALL_MODELS}', or the import path of a "
        f"factory of your own, 'package.module:function', got {text!r}"
    )


def _network_arg(text: str) -> str:
    if text.strip() in model_names("network"):
        return text.strip()
    raise argparse.ArgumentTypeError(
        f"expected a network ({', '.join(model_names('network'))}), got {text!r}"
    )


def _expand_models(names) -> list[str]:
    """``--models`` as a list without repeats, ``all`` expanded to the registry's models."""
    out = []
    for name in names:
        out += list(MODELS) if name == ALL_MODELS else [name]
    return list(dict.fromkeys(out))


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _n_jobs(text: str):
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or an integer, got {text!r}") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"expected 'auto', -1 or a positive integer, got {text!r}")
    return value


def _parse_value(text: str):
    low = text.strip().lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()


def _int_list_or_auto(text: str) -> list[int] | str:
    return "auto" if text.strip() == "auto" else _int_list(text)


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers like 16,32, got {text!r}")
    return values


def _param(text: str) -> tuple[str, list]:
    name, sep, values = text.partition("=")
    if not sep or not name.strip() or not values.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=V1,V2,..., got {text!r}")
    return name.strip(), [_parse_value(v) for v in values.split(",") if v.strip()]


def _refit(text: str):
    if text == "best":
        return "best"
    name, sep, value = text.partition("=")
    if name == "fastest-within" and sep:
        try:
            tol = float(value)
        except ValueError:
            tol = -1.0
        if tol >= 0:
            return tol
    raise argparse.ArgumentTypeError(f"expected 'best' or 'fastest-within=TOLERANCE', got {text!r}")


def _data_args(p):
    p.add_argument(
        "--dataset", choices=DATASET_CHOICES, default="mnist", help="data set (default: mnist)"
    )
    p.add_argument(
        "--data-dir",
        help="folder with the IDX files or .npz (default: the search order; see 'datasets')",
    )
    p.add_argument(
        "--max-samples",
        type=_positive_int,
        help="stratified subset of the training split, for quick runs",
    )
    p.add_argument(
        "--max-test-samples", type=_positive_int, help="stratified subset of the test split"
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        default=5,
        help="training epochs (default: 5, the reference's)",
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        help=f"batch size (default: each model's own: {_default_batch_sizes()})",
    )
    p.add_argument(
        "--reference-training",
        action="store_true",
        help="train every model exactly as the reference notebook did "
        f"({_reference_training()}); without it each model uses its measured defaults",
    )
    p.add_argument(
        "--random-state", type=int, default=0, help="seed of folds and networks (default: 0)"
    )
    p.add_argument("--out", required=True, help="output folder (created; resumable)")
    p.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default="auto",
        metavar="auto|N",
        help="parallel fits. auto (default): one process per core, each giving the backend one "
        "thread, as many as memory allows (measured faster than one process using every "
        "core), or one process when the backend sees a GPU; 1: one process; -1: one per "
        "core. With --scheduler: at most N at once on its workers (auto: all of them)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS|local",
        default=None,
        help="run the fits on a Dask cluster: a scheduler address (tcp://HOST:PORT), or "
        "'local' for a LocalCluster of one single-threaded worker per core; needs "
        "pip install 'mnist-estimators[dask]'",
    )
    p.add_argument(
        "--backend",
        choices=tuple(BACKENDS),
        default=None,
        help="Keras backend of this process and every worker (default: Keras' own choice: "
        "KERAS_BACKEND, else ~/.keras/keras.json, else tensorflow); jax and torch need "
        "pip install 'mnist-estimators[jax]' or '[torch]'",
    )
    p.add_argument(
        "--verbose", type=int, choices=(0, 1, 2), default=0, help="Keras per-epoch output"
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mnist-estimators",
        description="CNN vs LSTM image classifiers as scikit-learn estimators: compare, tune, inspect data.",
        epilog="Without internet, point to local files: MNIST_ESTIMATORS_DATA=/path/to/idx-files mnist-estimators compare ...",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser(
        "compare",
        help="cross-validate and test models, write a report",
        description="Cross-validate the models on the same stratified folds, refit on all training data, test, run significance tests and write report.md, results.csv/json and figures to --out.",
    )
    _data_args(c)
    c.add_argument(
        "--models",
        nargs="+",
        type=_model_arg,
        default=list(REFERENCE_MODELS),
        metavar="MODEL",
        help=f"models to compare (default: {' '.join(REFERENCE_MODELS)}): any of {_models_help()}; 'all' for "
        "every one; or your own, as the import path of a function that returns a "
        "scikit-learn classifier, package.module:function",
    )
    c.add_argument("--cv", type=int, default=5, help="number of folds, >= 2 (default: 5)")
    c.add_argument(
        "--seeds",
        type=_positive_int,
        default=1,
        help="training seeds, each a full set of folds and a refit (--random-state, +1, ...); "
        "a difference is stated only when it holds across them (default: 1, see docs/results.md)",
    )
    c.add_argument(
        "--save-models",
        action="store_true",
        help="write each refit model into OUT/models/ as a model file that loads without "
        "pickle (mnist-estimators predict, mnist_estimators.load)",
    )
    c.add_argument(
        "--no-monitor",
        action="store_true",
        help="do not evaluate held-out data each epoch (no validation curves, slightly faster)",
    )
    g = sub.add_parser(
        "grid-search",
        help="tune one model with GridSearchCV and timing-aware refit",
        description="A grid search over --param grids, evaluated like GridSearchCV (same folds, cross_validate, timing-aware refit) and resumable per candidate and fold; writes the comparison report of the candidates to --out.",
    )
    _data_args(g)
    g.add_argument(
        "--model",
        type=_model_arg,
        required=True,
        metavar="MODEL",
        help=f"the model to tune: {', '.join(MODELS)}, or package.module:function",
    )
    g.add_argument(
        "--param",
        type=_param,
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="a grid dimension, e.g. filters=16,32 (repeatable)",
    )
    g.add_argument("--cv", type=int, default=3, help="number of folds, >= 2 (default: 3)")
    g.add_argument(
        "--save-models",
        action="store_true",
        help="write the chosen candidate's refit model into OUT/models/ (see compare)",
    )
    g.add_argument(
        "--refit",
        type=_refit,
        default="best",
        metavar="best|fastest-within=TOL",
        help="'best' accuracy, or the fastest candidate within TOL of it (default: best)",
    )
    e = sub.add_parser(
        "explain",
        help="test the reference's explanations of why the CNN wins, write a report",
        description="Run the explanation experiments (a: pixel-permuted, row-shuffled and "
        "transposed images; b: shifted and rotated test images; c: learning curves; d: "
        "training speed with 1 and 2 threads at batch 16-512; e: calibration) and write "
        "report.md and a self-contained report.html with each claim's verdict to --out. "
        "Resumable: run the same command again after a kill. Every verdict rests on "
        "at least 5 replicates (training seeds; processes for the speed experiment), "
        "with Holm-Shaffer correction over the primary endpoints. To shrink a quick run: "
        "--seeds 2 --processes 2 --batch-sizes 128 --train-sizes 500,2000 (its verdicts "
        "are then all inconclusive), or leave experiments out with --experiments.",
    )
    _data_args(e)
    e.add_argument(
        "--models",
        nargs="+",
        type=_network_arg,
        default=list(REFERENCE_MODELS),
        metavar="NETWORK",
        help=f"networks (default: {' '.join(REFERENCE_MODELS)}; the tests compare the first two): any of "
        f"{', '.join(model_names('network'))}",
    )
    e.add_argument(
        "--experiments",
        nargs="+",
        choices=[*EXPERIMENTS, *EXPERIMENTS.values()],
        default=list(EXPERIMENTS),
        metavar="NAME",
        help=f"which experiments, by name or letter: {', '.join(f'{v} {k}' for k, v in EXPERIMENTS.items())} "
        "(default: all)",
    )
    e.add_argument(
        "--seeds",
        type=_positive_int,
        default=SEEDS,
        help=f"training seeds (each draws its own permutation and subsets; verdicts need "
        f"at least 5; default: {SEEDS})",
    )
    e.add_argument(
        "--train-sizes",
        type=_int_list,
        default=list(TRAIN_SIZES),
        metavar="N1,N2",
        help=f"learning-curve sizes (default: {','.join(map(str, TRAIN_SIZES))}; sizes above "
        "the training data are left out)",
    )
    e.add_argument(
        "--schedules",
        nargs="+",
        choices=SCHEDULES,
        default=list(SCHEDULES),
        help="learning-curve budgets: 'steps' (the same optimizer steps at every size: the "
        "verdict's) and 'epochs' (the same epochs at every size); default: both",
    )
    e.add_argument(
        "--batch-sizes",
        type=_int_list_or_auto,
        default="auto",
        metavar="B1,B2",
        help=f"batch sizes of the speed experiment (default: {','.join(map(str, BATCH_SIZES))} "
        f"from {FULL_GRID_FROM:,} training images on, else "
        f"{','.join(map(str, QUICK_BATCH_SIZES))})",
    )
    e.add_argument(
        "--threads",
        type=_int_list,
        default=list(THREADS),
        metavar="T1,T2",
        help="thread counts of the speed experiment (default: 1,2)",
    )
    e.add_argument(
        "--throughput-images",
        type=_positive_int,
        default=4096,
        help="images per timed epoch in the speed experiment (default: 4096)",
    )
    e.add_argument(
        "--processes",
        type=_positive_int,
        default=PROCESSES,
        help="replicates of the speed experiment: fresh processes per thread count, each "
        f"measuring every network and batch size (verdicts need 5; default: {PROCESSES})",
    )
    e.add_argument(
        "--repeats",
        type=_positive_int,
        default=3,
        help="timed epochs per point in each process; the process's rate is their median "
        "(default: 3)",
    )
    e.set_defaults(cv=2)
    r = sub.add_parser(
        "report",
        help="rebuild a finished run's report from its stored records",
        description="Rebuild every table, verdict and figure of a finished compare or "
        "explain run from its output folder (or a .tar.xz archive of it, "
        "such as docs/reports/*/records.tar.xz), without training anything.",
    )
    r.add_argument("run", help="the run's output folder, or a .tar.xz archive of it")
    r.add_argument(
        "--out", help="where to write the report (default: the run's folder; needed for an archive)"
    )
    r.add_argument(
        "--data-dir",
        help="where the run's data set is, to draw the misclassified test images of a "
        "comparison (default: MNIST_ESTIMATORS_DATA, the usual places)",
    )
    m = sub.add_parser(
        "measure-paths",
        help="time every computation of the LSTM on this machine, write a table entry",
        description="Train the LSTM by each candidate computation (the loop unrolled into "
        "the graph, the backend's fused kernel, Keras' own loop) on MNIST training "
        "images, check that they compute the same network, time them (interleaved rounds, "
        "medians), and write this machine's entry into a table that LSTMClassifier("
        "unroll='auto') reads when MNIST_ESTIMATORS_LSTM_PATHS names it.",
    )
    m.add_argument("--out", required=True, help="the table file to write this machine's entry into")
    m.add_argument("--data-dir", help="where MNIST is (default: MNIST_ESTIMATORS_DATA, ...)")
    m.add_argument(
        "--max-samples", type=_positive_int, default=20000, help="images (default: 20,000)"
    )
    m.add_argument("--batch-size", type=_positive_int, default=128, help="batch (default: 128)")
    m.add_argument(
        "--repeats", type=_positive_int, default=3, help="timed epochs per path (default: 3)"
    )
    m.add_argument("--backend", choices=sorted(BACKENDS), help="the Keras backend to measure")
    pr = sub.add_parser(
        "predict",
        help="predict with a saved model file, print the accuracy or write the predictions",
        description="Load a model file (written by compare/grid-search --save-models or "
        "mnist_estimators.save), after checking all of it (nothing of it runs as code), "
        "and predict a data set's split, or images from a .npy or IDX file. With labels, "
        "print the accuracy; with --output, write the predictions to a CSV file.",
    )
    pr.add_argument("model", help="the model file")
    pr.add_argument("--dataset", choices=DATASET_CHOICES, default=None,
                    help="predict this data set's split (default: mnist unless --images)")  # fmt: skip
    pr.add_argument("--split", choices=("test", "train"), default="test",
                    help="which split of --dataset (default: test)")  # fmt: skip
    pr.add_argument("--data-dir", help="where the data set is (see 'datasets')")
    pr.add_argument("--max-test-samples", type=_positive_int,
                    help="the stratified subset of the split that compare --max-test-samples took")  # fmt: skip
    pr.add_argument("--random-state", type=int, default=0,
                    help="seed of that subset (default: 0, as compare's)")  # fmt: skip
    pr.add_argument("--images", help="a .npy or IDX file of images, instead of --dataset")
    pr.add_argument("--labels", help="a .npy or IDX file of their labels (for the accuracy)")
    pr.add_argument("--output", help="write the predictions to this CSV file")
    pr.add_argument("--trust", nargs="+", default=[], metavar="TYPE",
                    help="types the file may hold besides the package's and scikit-learn's "
                    "(module.Class), when you trust them")  # fmt: skip
    d = sub.add_parser("datasets", help="list data sets, where they are found, sample counts")
    d.add_argument("--data-dir", help="look only in this folder")
    d.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _load(args):
    """The data of --dataset, after checking that the folds and the test can run."""
    from .evaluation.folds import check_folds

    data = load_train_test(
        args.dataset,
        data_dir=args.data_dir,
        n_train=args.max_samples,
        n_test=args.max_test_samples,
        random_state=args.random_state,
    )
    try:
        check_folds(data.y, data.y_test, args.cv)
    except FoldsError as exc:
        raise _UsageError(f"{exc} (--cv, --max-samples)") from None
    return data


def _pipeline(model: str, args):
    """The estimator of ``model``: a registry model's ready-made pipeline (a network with
    the command line's training arguments), or what the user's factory returns."""
    from sklearn.base import is_classifier

    from .estimators.pipelines import make_pipeline

    if model in MODELS and MODELS[model].kind == "network":
        params = {"epochs": args.epochs, "random_state": args.random_state, "verbose": args.verbose}
        if args.batch_size is not None:
            params["batch_size"] = args.batch_size
        return make_pipeline(model, reference_training=args.reference_training, **params)
    if model in MODELS:  # a baseline: no epochs, batches or reference setting
        return make_pipeline(model, random_state=args.random_state)
    try:
        factory = import_object(model)
    except ImportError as exc:
        raise _UsageError(f"--models {model}: {exc}") from None
    if not callable(factory):
        raise _UsageError(f"--models {model}: {type(factory).__name__} is not a function")
    try:
        estimator = factory()
    except Exception as exc:  # the user's code: say what failed, no traceback
        raise _UsageError(
            f"--models {model}: calling it failed with {type(exc).__name__}: {exc}"
        ) from None
    if not is_classifier(estimator):
        raise _UsageError(
            f"--models {model}: it returned {type(estimator).__name__}, not a scikit-learn "
            "classifier: return an estimator (or a Pipeline) that ends in a classifier"
        )
    return estimator


def _model_label(model: str) -> str:
    """How a model is named in tables and verdicts: a registry model's label, else the
    import path as given."""
    return MODELS[model].label if model in MODELS else model


def _start(args) -> None:
    """Before loading or training anything: the output folder, and Dask if it is needed."""
    if args.cv < 2:
        raise _UsageError("--cv must be at least 2")
    prepare_output_folder(args.out)
    if args.scheduler is not None:
        from .evaluation.parallel import check_dask_available

        check_dask_available()


def _jobs_for(args, data) -> int | None:
    """--n-jobs for the library: "auto" sized to the cores and to this data's memory.

    In the console script's own process, before the backend starts, this process gets
    a worker's share of the cores: it then trains tasks beside its workers (one
    process fewer, each with TensorFlow's runtime and a copy of the data).
    """
    from .evaluation.parallel import resolve_n_jobs, usable_cores

    jobs = resolve_n_jobs(args.n_jobs, data.X.nbytes + data.X_test.nbytes, scheduler=args.scheduler)
    if args.own_process and args.scheduler is None and jobs is not None and jobs > 1:
        from ._keras.runtime import configure_threads

        configure_threads(max(1, usable_cores() // jobs))
    return jobs


def _prepare(args):
    """The output folder checked, the data loaded, the models made, the processes sized."""
    _start(args)
    data = _load(args)
    models = {_model_label(m): _pipeline(m, args) for m in _expand_models(args.models)}
    return data, models, _jobs_for(args, data)


def _setup(args, data) -> dict:
    """The report's setup lines, and where the data came from (``report`` reloads the
    test images from it for a figure)."""
    source = {
        "name": args.dataset,
        "n_train": args.max_samples,
        "n_test": args.max_test_samples,
        "random_state": args.random_state,
    }
    return {"dataset": data.description, "command": _command_line(), "data_source": source}


def _where(args, n_jobs) -> str:
    return f"on {args.scheduler}" if args.scheduler else f"{n_jobs or 1} process(es)"


def cmd_compare(args) -> int:
    from .evaluation.compare import compare_models
    from .reporting.report import verdict_sentences, write_report

    data, models, n_jobs = _prepare(args)
    print(
        f"Comparing {', '.join(models)} on {args.dataset}: {len(data.y):,} training, "
        f"{len(data.y_test):,} test images, {args.cv} folds, {args.epochs} epochs, "
        f"{args.seeds} seed(s); {_where(args, n_jobs)}."
    )
    result = compare_models(
        models,
        data.X,
        data.y,
        cv=args.cv,
        X_test=data.X_test,
        y_test=data.y_test,
        seeds=args.seeds,
        random_state=args.random_state,
        n_jobs=n_jobs,
        scheduler=args.scheduler,
        out_dir=args.out,
        monitor_validation=not args.no_monitor,
        progress=not args.no_progress,
        setup=_setup(args, data),
        save_models=args.save_models,
    )
    written = write_report(result, args.out)
    cols = [
        c
        for c in (
            "test_accuracy",
            "test_log_loss",
            "test_fit_time",
            "accuracy_mean",
            "accuracy_std",
            "fit_time_mean",
        )
        if c in result.summary
    ]
    print(result.summary[cols].round(4).to_string())
    for line in verdict_sentences(result):
        print(line)
    print(f"Report: {written['report.md']}")
    return 0


def _command_line() -> str:
    return "mnist-estimators " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _grid(args, pipe) -> dict:
    """The --param grid with full parameter names, every value checked before any training."""
    from sklearn.pipeline import Pipeline

    step = pipe.steps[-1][0] if isinstance(pipe, Pipeline) else None
    grid = {}
    for name, values in args.param:
        key = name if "__" in name or step is None else f"{step}__{name}"
        if key not in pipe.get_params():
            valid = sorted(
                k.split("__", 1)[1] if step else k
                for k in pipe.get_params()
                if step is None or k.startswith(step + "__")
            )
            raise _UsageError(
                f"unknown parameter {name!r} for {args.model}; valid: {', '.join(valid)}"
            )
        for value in values:
            final = pipe.__sklearn_clone__().set_params(**{key: value})
            final = final[-1] if step else final
            try:
                if hasattr(final, "_validate_params"):
                    final._validate_params()
            except (ValueError, TypeError) as exc:
                raise _UsageError(f"--param {name}: bad value {value!r}: {exc}") from None
        grid[key] = values
    return grid


def cmd_grid_search(args) -> int:
    from .evaluation.scoring import FastestWithinTolerance
    from .evaluation.search import grid_search
    from .reporting.report import verdict_sentences, write_report

    if not args.param:
        raise _UsageError("give at least one --param NAME=V1,V2")
    pipe = _pipeline(args.model, args)
    grid = _grid(args, pipe)
    _start(args)
    data = _load(args)
    refit = (
        "accuracy"
        if args.refit == "best"
        else FastestWithinTolerance(args.refit, metric="accuracy")
    )
    result = grid_search(
        pipe,
        grid,
        data.X,
        data.y,
        cv=args.cv,
        refit=refit,
        X_test=data.X_test,
        y_test=data.y_test,
        random_state=args.random_state,
        out_dir=args.out,
        n_jobs=_jobs_for(args, data),
        scheduler=args.scheduler,
        progress=not args.no_progress,
        setup=_setup(args, data),
        save_models=args.save_models,
    )
    written = write_report(result, args.out)
    chosen = result.names[result.refit_choice]
    cols = ["accuracy_mean", "accuracy_std", "fit_time_mean", "predict_time_per_1000_mean"]
    print(result.summary[cols].round(4).to_string())
    print(f"Chosen ({refit}): {chosen}; test accuracy {result.test[chosen][0]['accuracy']:.4f}")
    for line in verdict_sentences(result):
        print(line)
    print(f"Report: {written['report.md']}")
    return 0


def cmd_explain(args) -> int:
    from .evaluation.experiments import explain
    from .reporting.explanation import claim_verdicts, write_explanation

    data, models, n_jobs = _prepare(args)
    print(
        f"Explaining {' vs '.join(models)} on {args.dataset}: {len(data.y):,} training, "
        f"{len(data.y_test):,} test images, experiments {', '.join(args.experiments)}, "
        f"{args.seeds} seed(s), {args.epochs} epochs; {_where(args, n_jobs)}."
    )
    ex = explain(
        models,
        data.X,
        data.y,
        data.X_test,
        data.y_test,
        experiments=args.experiments,
        seeds=args.seeds,
        random_state=args.random_state,
        train_sizes=args.train_sizes,
        schedules=args.schedules,
        batch_sizes=args.batch_sizes,
        threads=args.threads,
        throughput_images=args.throughput_images,
        processes=args.processes,
        repeats=args.repeats,
        shifts=SHIFTS,
        rotations=ROTATIONS,
        n_jobs=n_jobs,
        scheduler=args.scheduler,
        out_dir=args.out,
        progress=not args.no_progress,
        setup=_setup(args, data),
    )
    written = write_explanation(ex, args.out)
    for row in claim_verdicts(ex):
        print(f"Claim {row['claim']}, {row['evidence']}: {row['status']}. {row['verdict']}")
    print(f"Report: {written['report.md']} and {written['report.html']}")
    return 0


def cmd_report(args) -> int:
    from .evaluation.explanation import Explanation
    from .evaluation.runs import load_run
    from .reporting.explanation import claim_verdicts, write_explanation
    from .reporting.report import verdict_sentences, write_report

    result = load_run(args.run)
    out = args.out or (args.run if Path(args.run).is_dir() else None)
    if out is None:
        raise _UsageError(f"{args.run} is an archive: say where the report goes with --out")
    if isinstance(result, Explanation):
        written = write_explanation(result, out)
        for row in claim_verdicts(result):
            print(f"Claim {row['claim']}, {row['evidence']}: {row['status']}.")
    else:
        _attach_test_images(result, args.data_dir)
        written = write_report(result, out)
        for line in verdict_sentences(result):
            print(line)
    print(f"Report: {written['report.md']}")
    return 0


def _attach_test_images(result, data_dir) -> None:
    """Give a rebuilt comparison its test images, when its data set can be found again
    and its fingerprint matches the run's (for the figure of misclassified images)."""
    from .evaluation.store import digest

    source = result.config.get("setup", {}).get("data_source")
    if not source:
        return
    try:
        data = load_train_test(source["name"], data_dir=data_dir, n_train=source["n_train"],
                               n_test=source["n_test"], random_state=source["random_state"])  # fmt: skip
    except (DatasetNotFoundError, DataFileError) as exc:
        print(f"note: no figure of misclassified images: {exc}", file=sys.stderr)
        return
    if digest(data.X_test, data.y_test) != result.config.get("test_data"):
        print(
            "note: no figure of misclassified images: the test images found differ from the run's.",
            file=sys.stderr,
        )
        return
    result.X_test = data.X_test


def _read_array(path: str):
    """A .npy file, or an IDX file (gzip or not), as an array."""
    import numpy as np

    from .datasets import read_idx

    if path.endswith(".npy"):
        return np.load(path, allow_pickle=False)  # an object array would need pickle: refused
    return read_idx(path)


def cmd_predict(args) -> int:
    import numpy as np

    from .estimators.saving import load

    model = load(args.model, trusted=args.trust)
    if args.images:
        if args.dataset:
            raise _UsageError("give --dataset or --images, not both")
        X = _read_array(args.images)
        y = None if args.labels is None else _read_array(args.labels)
        source = args.images
    else:
        data = load_train_test(args.dataset or "mnist", data_dir=args.data_dir,
                               n_train=10 if args.split == "test" else None,
                               n_test=args.max_test_samples, random_state=args.random_state)  # fmt: skip
        X, y = (data.X_test, data.y_test) if args.split == "test" else (data.X, data.y)
        source = f"{args.dataset or 'mnist'} ({args.split} split, {len(y):,} images)"
    X = X.reshape(len(X), -1)
    pred = model.predict(X)
    if args.output:
        out = Path(args.output)
        columns = [range(len(pred)), pred] + ([y] if y is not None else [])
        lines = ["index,prediction" + (",label" if y is not None else "")]
        lines += [",".join(map(str, row)) for row in zip(*columns, strict=True)]
        out.write_text("\n".join(lines) + "\n")
        print(f"Predictions: {out}")
    if y is not None:
        print(f"Accuracy on {source}: {float(np.mean(pred == y)):.4f}")
    elif not args.output:
        print(" ".join(map(str, pred)))
    return 0


def cmd_measure_paths(args) -> int:
    from ._environment import machine, now_iso
    from ._keras import paths

    data = load_train_test("mnist", data_dir=args.data_dir, n_train=args.max_samples, n_test=10)
    X = (data.X.reshape(-1, 28, 28) / 255.0).astype("float32")
    key = paths.machine_key()
    print(f"Measuring the LSTM's paths on {machine()}; key {key}")
    result = paths.measure(X, data.y, batch_size=args.batch_size, repeats=args.repeats)
    best = result["rates"][result["path"]]
    for path, rate in sorted(result["rates"].items(), key=lambda kv: -kv[1]):
        print(
            f"  {path:9} {rate:8,.0f} images/s  {rate / best:.2f}x the fastest  "
            f"(largest difference from Keras' loop {result['max_difference'][path]:.1e})"
        )
    paths.write_entry(args.out, {
        "key": key, "path": result["path"], "rates": result["rates"],
        "max_difference": result["max_difference"], "measured": now_iso()[:10],
        "machine": machine(), "images": len(data.y), "batch_size": args.batch_size,
        "repeats": args.repeats, "command": _command_line(),
    })  # fmt: skip
    print(f"Fastest: {result['path']}; entry written to {args.out}")
    return 0


def cmd_datasets(args) -> int:
    rows = describe_datasets(args.data_dir)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        if r["found"]:
            state = "complete" if r["complete"] else "INCOMPLETE"
            print(
                f"{r['name']:14} {state:10} train {r['train'] or 0:>6,}  test {r['test'] or 0:>6,}  {r['origin']}: {r['location']}"
            )
            if r["note"] and not r["complete"]:
                print(f"{'':14} {r['note']}")
        else:
            print(f"{r['name']:14} NOT FOUND  {r['note']}")
    return 0


class _UsageError(Exception):
    pass


def _use_backend(backend: str | None) -> None:
    """Select Keras' backend for this process and, through the environment, its workers.

    Keras reads ``KERAS_BACKEND`` once, when it is first imported: the handlers import
    it after this. Worker processes inherit the environment when they start.
    """
    if backend is None:
        return
    if "keras" in sys.modules and configured_backend() != backend:
        raise _UsageError(
            f"--backend {backend}: Keras is already loaded in this process with the "
            f"{configured_backend()!r} backend, which cannot change. Set "
            f"KERAS_BACKEND={backend} before Keras is imported (or run the command line)."
        )
    os.environ["KERAS_BACKEND"] = backend


#: The commands that train: in the console script's own process, they make every op
#: deterministic first (:func:`mnist_estimators._keras.runtime.own_process`).
TRAINING_COMMANDS = frozenset({"compare", "grid-search", "explain"})


def _choose_onednn() -> None:
    """In the console script's own process, before TensorFlow starts: TensorFlow's oneDNN
    kernels on or off, as measured fastest for this machine (``path_table.onednn_choice``),
    where ``TF_ENABLE_ONEDNN_OPTS`` is unset. The workers inherit it: every process of
    the run uses the same kernels, so one process and several give the same numbers."""
    from ._keras.path_table import onednn_choice

    if "TF_ENABLE_ONEDNN_OPTS" in os.environ or "tensorflow" in sys.modules:
        return
    choice = onednn_choice()
    if choice is not None:
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if choice[0] == "on" else "0"


def run() -> None:
    """The ``mnist-estimators`` console script: :func:`main` in a process of its own.

    The process is the package's, so what may only be set for a whole process
    (TensorFlow's op determinism) is set there, as in the package's workers.
    """
    sys.exit(main(own_process=True))


def main(argv: list[str] | None = None, *, own_process: bool = False) -> int:
    """Entry point of ``mnist-estimators`` (from Python: ``main(["compare", ...])``).

    Warnings print as one line each (``warning: ...``) while the command runs; the
    process's warning filters and format are restored when it returns, so calling
    ``main`` from Python changes nothing of the caller's (``own_process`` is for the
    console script, :func:`run`).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.own_process = own_process
    saved_format = warnings.formatwarning
    saved_backend = os.environ.get("KERAS_BACKEND")
    with warnings.catch_warnings():
        warnings.simplefilter("default", IncompleteDatasetWarning)
        warnings.formatwarning = _one_line_warning
        try:
            return _run(parser, args)
        finally:
            warnings.formatwarning = saved_format
            if saved_backend is None:
                os.environ.pop("KERAS_BACKEND", None)
            else:
                os.environ["KERAS_BACKEND"] = saved_backend


def _one_line_warning(message, category, *args, **kwargs) -> str:
    return f"warning: {message}\n"


def _run(parser, args) -> int:
    """The command's handler, its errors turned into a message and an exit code."""
    commands = {
        "compare": cmd_compare,
        "grid-search": cmd_grid_search,
        "explain": cmd_explain,
        "datasets": cmd_datasets,
        "report": cmd_report,
        "measure-paths": cmd_measure_paths,
        "predict": cmd_predict,
    }
    try:
        _use_backend(getattr(args, "backend", None))
        if args.own_process and args.command in TRAINING_COMMANDS:
            _choose_onednn()
            from ._keras.runtime import own_process

            own_process()
        return commands[args.command](args)
    except _UsageError as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (
        DatasetNotFoundError,
        DataFileError,
        ComparisonConfigError,
        OutputFolderError,
        DaskUnavailableError,
        SchedulerUnreachableError,
        UnsupportedBackendError,
        BackendMismatchError,
        RunNotFoundError,
        UnsafeModelFileError,
    ) as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"\n{parser.prog}: interrupted; finished folds are kept in the output folder, run the same command to resume.",
            file=sys.stderr,
        )
        return 130
    except OSError as exc:  # disk full, a file vanished, ...: finished folds are already on disk
        where = f" ({exc.filename})" if exc.filename else ""
        print(
            f"{parser.prog} {args.command}: error: {exc.strerror or exc}{where}; finished folds "
            "are kept in the output folder: fix this and run the same command to resume.",
            file=sys.stderr,
        )
        return 1
    except Exception as exc:
        if os.environ.get("MNIST_ESTIMATORS_TRACEBACK"):
            raise
        print(
            f"{parser.prog} {args.command}: error: {type(exc).__name__}: {exc}; finished folds "
            "are kept in the output folder. Set MNIST_ESTIMATORS_TRACEBACK=1 to see the "
            "traceback, and please report it.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    run()
