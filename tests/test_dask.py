"""compare_models, grid search and GridSearchCV on a Dask cluster (a real LocalCluster).

Two single-threaded worker processes on the loopback address, as on a real cluster:
tasks, data and results cross process boundaries through Dask's scheduler.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time

import distributed
import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from mnist_estimators import compare_models, make_cnn_pipeline, make_lstm_pipeline
from mnist_estimators.cli import main


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def data(digits):
    X, y = digits
    return X[:240], y[:240], X[1500:1600], y[1500:1600]


def _models(epochs=2):
    return {
        "CNN": make_cnn_pipeline(epochs=epochs, filters=4, learning_rate=0.01),
        "LSTM": make_lstm_pipeline(units=8, epochs=epochs, learning_rate=0.01),
    }


#: The serial run, in a child process whose TensorFlow has one thread, like each worker.
#: TensorFlow's CPU kernels split their sums by thread count, so a network's last bits
#: depend on it (measured: a CNN fold's log loss 0.4130651194727787 with 2 threads,
#: 0.4130651313103704 with 1, 1 epoch on 3,000 MNIST images); the same seeds on the
#: same threads per process give the same bits, which is what is compared here.
SERIAL_CHILD = """
import pickle, sys
from mnist_estimators import compare_models
from mnist_estimators._tf import tf
assert tf.config.threading.get_intra_op_parallelism_threads() == 1
with open(sys.argv[1], "rb") as f:
    models, X, y, Xt, yt = pickle.load(f)
r = compare_models(models, X, y, cv=2, X_test=Xt, y_test=yt, progress=False)
with open(sys.argv[1], "wb") as f:
    pickle.dump((r.folds, r.histories, r.test), f)
"""


@pytest.fixture(scope="module")
def serial(data, tmp_path_factory):
    """(folds, histories, test records) of the serial comparison with one TensorFlow thread."""
    path = tmp_path_factory.mktemp("serial") / "io.pkl"
    path.write_bytes(pickle.dumps((_models(), *data)))
    env = {**os.environ, "MNIST_ESTIMATORS_WORKER_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", SERIAL_CHILD, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return pickle.loads(path.read_bytes())


def _assert_same_results(result, serial):
    """Every fold (model, seed, fold) exactly once, with the serial run's exact scores,
    per-epoch losses and refit test predictions."""
    folds, histories, test = serial
    cols = ["model", "seed", "fold"]
    got = result.folds.sort_values(cols).reset_index(drop=True)
    want = folds.sort_values(cols).reset_index(drop=True)
    assert not got[cols].duplicated().any()
    assert got[cols].equals(want[cols])
    for key in ("accuracy", "log_loss"):
        assert got[key].tolist() == want[key].tolist(), key
    for model in ("CNN", "LSTM"):
        losses = [h["loss"] for h in result.histories[model]]
        assert losses == [h["loss"] for h in histories[model]], model
        ((refit,), (expected,)) = result.test[model], test[model]
        for key in ("accuracy", "log_loss", "predictions"):
            assert refit[key] == expected[key], (model, key)


def test_cluster_folds_equal_the_serial_run_and_resume(client, data, serial, tmp_path, monkeypatch):
    X, y, Xt, yt = data
    scattered = []
    real_scatter = distributed.Client.scatter

    def spy(self, data, *args, **kwargs):
        if isinstance(data, list):
            scattered.append(([getattr(d, "nbytes", None) for d in data], kwargs.get("broadcast")))
        return real_scatter(self, data, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "scatter", spy)
    kwargs = {"cv": 2, "X_test": Xt, "y_test": yt, "out_dir": tmp_path, "progress": False}
    on_cluster = compare_models(_models(), X, y, scheduler=client, **kwargs)
    assert (on_cluster.folds.model.value_counts() == 2).all()
    # Bit for bit the serial run: every fold's scores and losses, and the refit's test.
    _assert_same_results(on_cluster, serial)
    # The data went to the workers once, broadcast before the tasks, not with every task.
    assert [([X.nbytes, y.nbytes, Xt.nbytes, yt.nbytes], True)] == scattered[:1]
    # Each worker gave TensorFlow only the one thread it was given.
    threads = client.run(
        lambda: __import__("tensorflow").config.threading.get_intra_op_parallelism_threads()
    )
    assert set(threads.values()) == {1}, threads
    # The client wrote every record; a rerun on the cluster recomputes only what is missing.
    files = sorted((tmp_path / "folds").glob("*.json"))
    assert len(files) == 6  # 2 models x (2 folds + the refit)
    files[0].unlink()
    stamps = {f: f.stat().st_mtime_ns for f in files[1:]}
    again = compare_models(_models(), X, y, scheduler=client, **kwargs)
    assert {f: f.stat().st_mtime_ns for f in files[1:]} == stamps
    assert files[0].exists()
    _assert_same_results(again, serial)


def test_gridsearchcv_under_the_dask_backend(client, data):
    X, y, _, _ = data
    grid = {"cnnclassifier__filters": [2, 4]}
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    pipe = make_cnn_pipeline(epochs=2, learning_rate=0.01, random_state=0)
    local = GridSearchCV(pipe, grid, cv=cv).fit(X, y)
    with parallel_config(backend="dask", client=client):
        remote = GridSearchCV(pipe, grid, cv=cv, n_jobs=-1).fit(X, y)
    for key in ("split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert remote.best_params_ == local.best_params_
    assert remote.score(X, y) == local.score(X, y)


def test_a_worker_killed_mid_fit_loses_nothing(client, data, serial, tmp_path):
    X, y, Xt, yt = data
    pids = client.run(os.getpid)
    box = {}

    def run():
        box["result"] = compare_models(
            _models(),
            X,
            y,
            cv=2,
            X_test=Xt,
            y_test=yt,
            scheduler=client,
            out_dir=tmp_path,
            progress=False,
        )

    thread = threading.Thread(target=run)
    thread.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        busy = [w for w, tasks in client.processing().items() if tasks]
        if busy:
            time.sleep(1.0)  # inside the fit: TensorFlow has started training
            victim = pids[busy[0]]
            os.kill(victim, signal.SIGKILL)
        time.sleep(0.05)
    thread.join(timeout=600)
    assert victim is not None and not thread.is_alive()
    assert victim not in client.run(os.getpid).values()  # that process is gone
    result = box["result"]
    keys = list(zip(result.folds.model, result.folds.seed, result.folds.fold, strict=True))
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 4  # every fold exactly once
    assert len(list((tmp_path / "folds").glob("*.json"))) == 6
    _assert_same_results(result, serial)


def test_unreachable_scheduler_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MNIST_ESTIMATORS_DASK_TIMEOUT", "2")
    rc = main(
        [
            "compare",
            "--dataset",
            "digits",
            "--epochs",
            "1",
            "--cv",
            "2",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--out",
            str(tmp_path / "out"),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "tcp://127.0.0.1:9" in lines[0] and "Traceback" not in err


def test_without_dask_the_package_works_and_the_cli_says_how_to_install(tmp_path):
    code = (
        "import sys; sys.modules['distributed'] = None; sys.modules['dask'] = None\n"
        "from mnist_estimators import compare_models, load_digits_images, make_cnn_pipeline\n"
        "from mnist_estimators.cli import main\n"
        "X, y = load_digits_images('train', return_X_y=True)\n"
        "r = compare_models({'CNN': make_cnn_pipeline(epochs=1, filters=2)}, X[:120], y[:120], cv=2, progress=False)\n"
        "assert len(r.folds) == 2\n"
        f"sys.exit(main(['compare', '--dataset', 'digits', '--scheduler', 'local', '--out', {str(tmp_path / 'o')!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "pip install 'mnist-estimators[dask]'" in proc.stderr
    assert "Traceback" not in proc.stderr
