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
from pathlib import Path

import cloudpickle
import distributed
import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from mnist_estimators._keras.runtime import keras
from mnist_estimators.cli import main
from mnist_estimators.estimators.pipelines import make_cnn_pipeline, make_lstm_pipeline
from mnist_estimators.evaluation import compare_models

# Classes and functions of this module travel to the Dask workers by value: a worker
# process need not be able to import this test file.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


class HoldAtTrainBegin(keras.callbacks.Callback):
    """Record each fit's start and end in ``folder/fits_<pid>``, and hold every fit at its
    start while ``folder/hold`` exists. It leaves training untouched.

    A process that wrote ``begin`` but no ``end`` is inside ``Model.fit``.
    """

    def __init__(self, folder):
        super().__init__()
        self.folder = str(folder)

    def _log(self, event: str) -> None:
        with open(Path(self.folder) / f"fits_{os.getpid()}", "a") as f:
            f.write(f"{event}\n")

    def on_train_begin(self, logs=None):
        self._log("begin")
        while (Path(self.folder) / "hold").exists():
            time.sleep(0.02)

    def on_train_end(self, logs=None):
        self._log("end")

    def __repr__(self):  # part of the run's configuration fingerprint: no address in it
        return f"HoldAtTrainBegin({self.folder!r})"

    def __reduce_ex__(self, protocol):
        # Dask pickles a task with the standard pickle, which names a class by reference
        # (a worker would import this test file): the instance goes through cloudpickle,
        # which carries its class by value. The flag (on the thread: a global would be
        # pickled along with this method) marks that inner pickling, which is the default.
        thread = threading.current_thread()
        if getattr(thread, "pickling_hold_by_value", False):
            return super().__reduce_ex__(protocol)
        thread.pickling_hold_by_value = True
        try:
            return cloudpickle.loads, (cloudpickle.dumps(self, protocol),)
        finally:
            thread.pickling_hold_by_value = False


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


def _models(epochs=2, callbacks=None):
    return {
        "CNN": make_cnn_pipeline(epochs=epochs, filters=4, learning_rate=0.01, callbacks=callbacks),
        "LSTM": make_lstm_pipeline(units=8, epochs=epochs, learning_rate=0.01, callbacks=callbacks),
    }


#: The serial run, in a child process whose TensorFlow has one thread, like each worker.
#: TensorFlow's CPU kernels split their sums by thread count, so a network's last bits
#: depend on it (measured: a CNN fold's log loss 0.4130651194727787 with 2 threads,
#: 0.4130651313103704 with 1, 1 epoch on 3,000 MNIST images); the same seeds on the
#: same threads per process give the same bits, which is what is compared here.
SERIAL_CHILD = """
import pickle, sys
from mnist_estimators.evaluation.parallel import configure_tensorflow_threads
assert configure_tensorflow_threads(1)
import tensorflow as tf
from mnist_estimators.evaluation import compare_models
assert tf.config.threading.get_intra_op_parallelism_threads() == 1
assert tf.config.threading.get_inter_op_parallelism_threads() == 1
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
    proc = subprocess.run(
        [sys.executable, "-c", SERIAL_CHILD, str(path)],
        capture_output=True,
        text=True,
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
    # Each worker gave TensorFlow exactly the threads it was given (its nthreads, 1 here).
    threads = client.run(
        lambda: (
            __import__("tensorflow").config.threading.get_intra_op_parallelism_threads(),
            __import__("tensorflow").config.threading.get_inter_op_parallelism_threads(),
        )
    )
    assert threads == {w: (n, n) for w, n in client.nthreads().items()}, threads
    assert set(client.nthreads().values()) == {1}
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


def _fit_logs(folder: Path) -> dict[int, list[str]]:
    """pid -> the fit events ("begin", "end") its process logged, in order."""
    return {int(f.name.removeprefix("fits_")): f.read_text().split() for f in folder.glob("fits_*")}


def test_a_worker_killed_mid_fit_loses_nothing(client, data, serial, tmp_path):
    X, y, Xt, yt = data
    fits = tmp_path / "fits"
    fits.mkdir()
    hold = fits / "hold"
    hold.touch()  # every fit waits at its start until the kill
    pids = set(client.run(os.getpid).values())
    box = {}

    def run():
        try:
            box["result"] = compare_models(
                _models(callbacks=[HoldAtTrainBegin(fits)]),
                X,
                y,
                cv=2,
                X_test=Xt,
                y_test=yt,
                scheduler=client,
                out_dir=tmp_path / "out",
                progress=False,
            )
        except BaseException as exc:  # reported by the assertions below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    victim = before_kill = None
    try:
        deadline = time.monotonic() + 180
        while victim is None and time.monotonic() < deadline and thread.is_alive():
            started = {pid: events for pid, events in _fit_logs(fits).items() if events}
            if started:
                victim, before_kill = next(iter(started.items()))
                os.kill(victim, signal.SIGKILL)  # held inside Model.fit: mid-fit for certain
            else:
                time.sleep(0.05)
    finally:
        hold.unlink()
    thread.join(timeout=300)
    assert not thread.is_alive() and "error" not in box, box.get("error")
    assert victim in pids and before_kill == ["begin"]
    assert victim not in client.run(os.getpid).values()  # that process is gone
    logs = _fit_logs(fits)
    assert logs[victim] == ["begin"]  # its fit never ended
    # Every other fit ran to its end: the 4 folds and the 2 refits, the killed one again.
    others = [event for pid, events in logs.items() if pid != victim for event in events]
    assert others.count("begin") == others.count("end") == 6
    result = box["result"]
    keys = list(zip(result.folds.model, result.folds.seed, result.folds.fold, strict=True))
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 4  # every fold exactly once
    assert len(list((tmp_path / "out" / "folds").glob("*.json"))) == 6
    # Bit for bit the serial run without the callback: neither it nor the kill changed a bit.
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
