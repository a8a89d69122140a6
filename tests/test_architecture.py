"""The package's public paths: the API reference's names import from where it says, the
paths of version 0.1 still give the same objects, and the light modules stay light."""

from __future__ import annotations

import importlib
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _documented_names() -> list[str]:
    """Every entry of the API reference's autosummary tables, as ``mnist_estimators.<entry>``."""
    text = (REPO / "docs" / "reference" / "api.rst").read_text()
    assert ".. currentmodule:: mnist_estimators" in text
    names = []
    for block in re.findall(r"\.\. autosummary::\n((?:   .*\n|\n)+)", text):
        names += [
            line.strip()
            for line in block.splitlines()
            if line.strip() and not line.strip().startswith(":")
        ]
    return names


DOCUMENTED = _documented_names()


def test_the_api_reference_lists_names():
    assert len(DOCUMENTED) > 40 and "CNNClassifier" in DOCUMENTED


@pytest.mark.parametrize("entry", DOCUMENTED)
def test_every_documented_name_imports_from_its_documented_path(entry):
    module_path, _, name = f"mnist_estimators.{entry}".rpartition(".")
    module = importlib.import_module(module_path)
    assert getattr(module, name) is not None


# The paths of version 0.1's API reference, written out, and the new home of each name.
OLD_PATHS = [
    ("mnist_estimators.comparison", "resolve_seeds", "mnist_estimators.evaluation.compare"),
    ("mnist_estimators.comparison", "ComparisonConfigError", "mnist_estimators.evaluation.errors"),
    ("mnist_estimators.search", "grid_search", "mnist_estimators.evaluation.search"),
    ("mnist_estimators.search", "cv_results_from", "mnist_estimators.evaluation.search"),
    ("mnist_estimators.result", "pareto_front", "mnist_estimators.evaluation.scoring"),
    ("mnist_estimators.result", "candidate_names", "mnist_estimators.evaluation.result"),
    ("mnist_estimators.result", "test_record", "mnist_estimators.evaluation.folds"),
    ("mnist_estimators.result", "ComparisonResult", "mnist_estimators.evaluation.result"),
    ("mnist_estimators.parallel", "dask_client", "mnist_estimators.evaluation.parallel"),
    ("mnist_estimators.parallel", "run_tasks", "mnist_estimators.evaluation.parallel"),
    ("mnist_estimators.parallel", "default_n_jobs", "mnist_estimators.evaluation.parallel"),
    ("mnist_estimators.parallel", "usable_cores", "mnist_estimators.evaluation.parallel"),
    (
        "mnist_estimators.parallel",
        "configure_tensorflow_threads",
        "mnist_estimators.evaluation.parallel",
    ),
    ("mnist_estimators.parallel", "DaskUnavailableError", "mnist_estimators.evaluation.errors"),
    ("mnist_estimators.scoring", "TIMING_SCORING", "mnist_estimators.evaluation.scoring"),
    ("mnist_estimators.scoring", "FastestWithinTolerance", "mnist_estimators.evaluation.scoring"),
    ("mnist_estimators.stats", "mcnemar_test", "mnist_estimators.evaluation.stats"),
    ("mnist_estimators.report", "write_report", "mnist_estimators.reporting.report"),
    ("mnist_estimators.report", "verdict_sentences", "mnist_estimators.reporting.report"),
    ("mnist_estimators.figures", "plot_all", "mnist_estimators.reporting.figures"),
    ("mnist_estimators.layers", "CPUUnrolledLSTM", "mnist_estimators._keras.layers"),
    ("mnist_estimators.schedules", "CosineToConstant", "mnist_estimators._keras.schedules"),
    ("mnist_estimators.callbacks", "EpochTimer", "mnist_estimators._keras.callbacks"),
    ("mnist_estimators.base", "IMAGES_PER_EXECUTION", "mnist_estimators.estimators.base"),
    ("mnist_estimators.base", "REFERENCE_TRAINING", "mnist_estimators.estimators._defaults"),
    ("mnist_estimators.cnn", "CNNClassifier", "mnist_estimators.estimators.cnn"),
    ("mnist_estimators.pipelines", "make_lstm_pipeline", "mnist_estimators.estimators.pipelines"),
    ("mnist_estimators._tf", "keras_training", "mnist_estimators._keras.runtime"),
]


@pytest.mark.parametrize(("old", "name", "new"), OLD_PATHS)
def test_the_paths_of_version_0_1_give_the_same_objects(old, name, new):
    assert getattr(importlib.import_module(old), name) is getattr(
        importlib.import_module(new), name
    )
    namespace: dict = {}
    exec(f"from {old} import {name} as found", namespace)  # the statement users wrote
    assert namespace["found"] is getattr(importlib.import_module(new), name)


def test_objects_pickled_under_an_old_path_load():
    # Protocol 0's GLOBAL opcode names the module and the attribute, as 0.1 pickled them.
    from mnist_estimators.evaluation.scoring import neg_fit_time_scorer

    assert pickle.loads(b"cmnist_estimators.scoring\nneg_fit_time_scorer\n.") is neg_fit_time_scorer


def test_an_unknown_name_of_an_old_path_is_an_attribute_error():
    import mnist_estimators.search as old

    with pytest.raises(AttributeError, match="now 'mnist_estimators.evaluation.search'"):
        old.no_such_name  # noqa: B018


def test_moved_result_methods_say_where_they_went(digits):
    from mnist_estimators import compare_models, make_cnn_pipeline

    X, y = digits
    res = compare_models(
        {"CNN": make_cnn_pipeline(epochs=1, filters=2)}, X[:100], y[:100], cv=2, progress=False
    )
    for method, where in (
        ("save", "reporting.write_report"),
        ("verdicts", "reporting.verdict_sentences"),
    ):
        with pytest.raises(AttributeError, match=where):
            getattr(res, method)
    with pytest.raises(AttributeError, match="evaluation.search.from_search"):
        type(res).from_search(object(), X_test=None)  # a class-level call, as 0.1 spelled it


def test_the_command_line_and_the_training_defaults_load_without_tensorflow():
    code = (
        "import sys\n"
        "import mnist_estimators, mnist_estimators.cli\n"
        "from mnist_estimators.estimators import TRAINING_DEFAULTS\n"
        "from mnist_estimators.evaluation.errors import FoldsError\n"
        "mnist_estimators.cli.build_parser()\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_a_comparison_imports_skops_only_to_save(tmp_path):
    # skops.io lists every scikit-learn estimator on import, which imports every
    # scikit-learn module and through them PyTorch: 0.5 GB per process where installed
    code = (
        "import sys\n"
        "import mnist_estimators.cli, mnist_estimators.evaluation.compare\n"
        "import mnist_estimators.evaluation.folds, mnist_estimators.evaluation.parallel\n"
        "from mnist_estimators._keras.runtime import BACKEND, start\n"
        "from mnist_estimators.estimators import saving\n"
        "start()\n"
        "assert 'skops.io' not in sys.modules, 'skops.io imported'\n"
        "assert BACKEND.name == 'torch' or 'torch' not in sys.modules, 'torch imported'\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "est = LogisticRegression().fit([[0.0], [1.0]], [0, 1])\n"
        "saving.save(est, sys.argv[1])\n"
        "assert (saving.load(sys.argv[1]).coef_ == est.coef_).all()\n"
    )
    out = tmp_path / "logreg.mnist.zip"
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_training_defaults_table_is_what_the_classes_take():
    from mnist_estimators import CNNClassifier, LSTMClassifier
    from mnist_estimators.estimators import TRAINING_DEFAULTS

    # Written out as docs/results.md chose them, not read back from the table.
    assert {k: CNNClassifier().get_params()[k] for k in TRAINING_DEFAULTS["cnn"]} == {
        "learning_rate": "auto",
        "lr_schedule": "cosine",
        "batch_size": "auto",
        "standardize": False,
    }
    assert {k: LSTMClassifier().get_params()[k] for k in TRAINING_DEFAULTS["lstm"]} == {
        "learning_rate": "auto",
        "lr_schedule": "cosine",
        "batch_size": "auto",
        "standardize": True,
    }


def _imported_modules(path: Path, package: str) -> set[str]:
    """Every module an import statement of ``path`` names, relative ones resolved."""
    import ast

    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def test_the_package_itself_never_imports_an_old_path():
    """The 0.1 paths are for users: import-linter cannot see through them, so no module of
    the package may use one."""
    from mnist_estimators._moved import MOVED

    root = REPO / "mnist_estimators"
    for path in root.rglob("*.py"):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        package = package.removesuffix(".__init__")
        used = _imported_modules(path, package) & set(MOVED)
        assert not used, f"{path.relative_to(REPO)} imports {sorted(used)}"
