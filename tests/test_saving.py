"""Model files without pickle: round trips of every built-in model, refusals of malicious
or damaged files (with proof that nothing ran), the command line, and across backends."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from mnist_estimators import cli, load, load_digits_images, save
from mnist_estimators._keras.runtime import BACKEND, keras
from mnist_estimators.estimators import saving
from mnist_estimators.estimators.errors import UnsafeModelFileError
from mnist_estimators.estimators.pipelines import make_pipeline
from mnist_estimators.estimators.registry import MODELS


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits_images(return_X_y=True)
    return X[:300], y[:300], X[300:400], y[300:400]


def _fitted(model: str, X, y):
    params = {"epochs": 2, "random_state": 0} if MODELS[model].kind == "network" else {}
    if model == "vit":
        params["patch_size"] = 4
    return make_pipeline(model, **params).fit(X, y)


@pytest.fixture(scope="module")
def fitted(digits):
    X, y, _, _ = digits
    return {model: _fitted(model, X, y) for model in MODELS}


@pytest.mark.parametrize("model", list(MODELS))
def test_a_round_trip_predicts_bit_for_bit_and_is_a_full_estimator(model, fitted, digits, tmp_path):
    _, _, Xt, yt = digits
    pipe = fitted[model]
    again = load(save(pipe, tmp_path / "m.mnist.zip"))
    assert np.array_equal(again.predict_proba(Xt), pipe.predict_proba(Xt))
    assert np.array_equal(again.predict(Xt), pipe.predict(Xt))
    assert again.score(Xt, yt) == pipe.score(Xt, yt)
    assert np.array_equal(again.classes_, pipe.classes_)
    assert again.n_features_in_ == pipe.n_features_in_
    assert repr(again.get_params()) == repr(pipe.get_params())
    assert repr(clone(again).get_params()) == repr(pipe.get_params())


def test_saving_changes_nothing_of_the_estimator(fitted, digits, tmp_path):
    _, _, Xt, _ = digits
    pipe = fitted["lstm"]
    net = pipe[-1]
    steps, params = pipe.steps, repr(pipe.get_params())
    model, weights = net.model_, [w.copy() for w in net.model_.get_weights()]
    state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(net).items()}
    proba = pipe.predict_proba(Xt)
    save(pipe, tmp_path / "m.mnist.zip")
    assert pipe.steps is steps and pipe[-1] is net and repr(pipe.get_params()) == params
    assert net.model_ is model
    assert all(np.array_equal(a, b) for a, b in zip(net.model_.get_weights(), weights, strict=True))
    assert set(vars(net)) == set(state)
    for name, value in vars(net).items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, state[name]), name
        elif isinstance(value, (int, float, str, tuple, dict, list)):
            assert value == state[name], name
    assert np.array_equal(pipe.predict_proba(Xt), proba)


def test_the_file_holds_plain_keras_layers_and_a_manifest(fitted, tmp_path):
    path = save(fitted["lstm"], tmp_path / "m.mnist.zip")
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        network = zipfile.ZipFile(io.BytesIO(zf.read("networks/0.keras")))
        config = network.read("config.json").decode()
        for name, digest in manifest["members"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest
    assert (
        manifest["format_version"] == saving.FORMAT_VERSION and manifest["backend"] == BACKEND.name
    )
    assert manifest["classes"] == list(range(10)) and manifest["input_layout"] == "sequence"
    assert {"keras", "scikit-learn", "skops", "mnist_estimators"} <= set(manifest["versions"])
    assert "CPUUnrolledLSTM" not in config and "FusedLSTM" not in config
    assert '"class_name": "LSTM"' in config


def _registered_names(path: Path) -> set:
    with zipfile.ZipFile(path) as zf:
        network = zipfile.ZipFile(io.BytesIO(zf.read("networks/0.keras")))
    names: set = set()
    saving._keras_node(
        json.loads(network.read("config.json")),
        lambda node: names.add(node.get("registered_name")),
    )
    return names


def test_a_pickle_earlier_in_the_process_changes_nothing_in_the_file(fitted, digits, tmp_path):
    # CI found this by test order: pickling (or deep-copying) a Keras model through
    # scikeras registers its class for the whole process as ">Functional", which Keras
    # then writes into every configuration, and load refused the name.
    _, _, Xt, _ = digits
    pipe = fitted["mlp"]
    network_class = type(pipe[-1].model_)
    pickle.loads(pickle.dumps(pipe))
    assert keras.saving.get_registered_name(network_class) == ">" + network_class.__name__
    path = save(pipe, tmp_path / "m.mnist.zip")
    names = _registered_names(path)
    assert network_class.__name__ in names
    assert not any(str(name).startswith(">") for name in names), names
    assert np.array_equal(load(path).predict_proba(Xt), pipe.predict_proba(Xt))

    # A file saved with the scikeras name (as this package wrote it before) still loads;
    # the same name for a class outside Keras is refused.
    def scikeras_name(config):
        config["registered_name"] = ">" + config["class_name"]

    old = _with_network_config(path, scikeras_name)
    assert np.array_equal(load(old).predict_proba(Xt), pipe.predict_proba(Xt))

    def outside_keras(config):
        scikeras_name(config)
        config["module"] = "evil_module"

    _one_line_refusal(_with_network_config(path, outside_keras), r"names '>\w+' for")


def test_training_goes_on_after_a_load(fitted, digits, tmp_path):
    X, y, Xt, _ = digits
    again = load(save(fitted["cnn"], tmp_path / "m.mnist.zip"))
    optimizer = again[-1].model_.optimizer
    assert (
        int(optimizer.iterations.numpy())
        == int(fitted["cnn"][-1].model_.optimizer.iterations.numpy())
        > 0
    )
    again.set_params(cnnclassifier__warm_start=True, cnnclassifier__epochs=1).fit(X, y)
    assert again[-1].n_iter_ == 3 and len(again[-1].history_["loss"]) == 3


# -- refusals: one line, nothing executed ----------------------------------------------


def _rewrite(path: Path, changes: dict, *, rehash: bool = True, manifest_update=None) -> Path:
    """A copy of a model file with members replaced or added (``None`` removes one), its
    manifest's hashes updated unless ``rehash`` is False."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    for name, data in changes.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    if rehash:
        manifest["members"] = {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}
    if manifest_update:
        manifest.update(manifest_update)
    out = path.with_name("changed.mnist.zip")
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return out


class _Payload:
    """Unpickling it, or calling it, writes the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "ran"))


def _one_line_refusal(path, match: str, **kwargs):
    with pytest.raises(UnsafeModelFileError) as info:
        load(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and re.search(match, message), message
    return message


@pytest.fixture
def saved(fitted, tmp_path):
    return save(fitted["cnn"], tmp_path / "m.mnist.zip")


def test_a_pickle_smuggled_into_a_member_is_refused_unread(saved, tmp_path):
    marker = tmp_path / "marker"
    smuggled = _rewrite(saved, {"estimator.skops": pickle.dumps(_Payload(marker))})
    _one_line_refusal(smuggled, "not in skops' format")
    named = _rewrite(saved, {"payload.pkl": pickle.dumps(_Payload(marker))})
    _one_line_refusal(named, r"format that can hold code \(\.pkl\)")
    assert not marker.exists()
    pickle.loads(pickle.dumps(_Payload(marker)))  # the payload is live: unpickled, it runs
    assert marker.exists()


def test_a_lambda_layer_is_refused_unbuilt(saved, tmp_path):
    marker = tmp_path / "marker"
    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda x, m=str(marker): (open(m, "w").close(), x)[1])(inputs)
    evil = keras.Model(inputs, outputs)
    file = tmp_path / "evil.keras"
    evil.save(file)
    marker.unlink(missing_ok=True)  # saving traced the function once
    bad = _rewrite(saved, {"networks/0.keras": file.read_bytes()})
    _one_line_refusal(bad, "holds a Lambda")
    assert not marker.exists()


def test_a_function_reference_in_a_network_is_refused(saved):
    def change(config):
        config["config"]["layers"][1]["config"]["activation"] = {
            "module": "keras.models", "class_name": "function", "config": "load_model",
            "registered_name": "function",
        }  # fmt: skip

    _one_line_refusal(_with_network_config(saved, change), "holds a function")


def _with_sklearn_side(saved: Path, change) -> Path:
    """A copy of ``saved`` whose scikit-learn side is rewritten by ``change`` (which gets
    it with its networks as SavedNetworks), hashes updated."""
    import skops.io as sio

    with zipfile.ZipFile(saved) as zf:
        stripped = sio.loads(zf.read("estimator.skops"), trusted=list(saving.TRUSTED_TYPES))
    extra = change(stripped) or {}
    return _rewrite(saved, {"estimator.skops": sio.dumps(stripped), **extra})


def test_a_network_class_off_the_list_is_refused_unimported(saved, tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    module = tmp_path / "evil_network_module.py"
    module.write_text(f"open({str(marker)!r}, 'w').close()\nclass Evil:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def change(stripped):
        stripped.steps[-1][1].estimator = "evil_network_module:Evil"

    bad = _with_sklearn_side(saved, change)
    _one_line_refusal(bad, "names the network class 'evil_network_module:Evil'")
    assert not marker.exists()


def test_a_network_under_another_member_name_is_refused(saved):
    with zipfile.ZipFile(saved) as zf:
        network = zf.read("networks/0.keras")

    def change(stripped):
        stripped.steps[-1][1].member = "networks/0.bin"
        return {"networks/0.bin": network, "networks/0.keras": None}

    _one_line_refusal(_with_sklearn_side(saved, change), "not all networks")


def test_arguments_and_state_that_are_not_plain_data_are_refused(saved):
    def callbacks(stripped):
        stripped.steps[-1][1].params["callbacks"] = ["keras.callbacks.TerminateOnNaN"]

    _one_line_refusal(_with_sklearn_side(saved, callbacks), "holds callbacks")

    def method(stripped):
        stripped.steps[-1][1].state["predict"] = "shadowed"

    _one_line_refusal(_with_sklearn_side(saved, method), "names 'predict', not a fitted attribute")


def _with_network_config(saved: Path, change) -> Path:
    with zipfile.ZipFile(saved) as zf:
        network = zf.read("networks/0.keras")
    with zipfile.ZipFile(io.BytesIO(network)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(parts["config.json"])
    change(config)
    parts["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return _rewrite(saved, {"networks/0.keras": buffer.getvalue()})


def test_registered_names_and_modules_off_the_list_are_refused(saved):
    def dense(config):
        return next(x for x in config["config"]["layers"] if x["class_name"] == "Dense")

    def swap(config):  # Keras looks a registered name up before the class name
        dense(config)["registered_name"] = "Evil>Thing"

    _one_line_refusal(_with_network_config(saved, swap), "registered object 'Evil>Thing'")

    def activation(config):
        dense(config)["config"]["activation"] = "Evil>fn"

    _one_line_refusal(_with_network_config(saved, activation), "registered object 'Evil>fn'")

    def module(config):
        dense(config)["module"] = "keras_hub.layers"

    _one_line_refusal(_with_network_config(saved, module), "names module 'keras_hub.layers'")


def test_a_changed_weight_without_a_new_hash_is_refused(saved):
    with zipfile.ZipFile(saved) as zf:
        network = bytearray(zf.read("networks/0.keras"))
    network[len(network) // 2] ^= 0xFF
    bad = _rewrite(saved, {"networks/0.keras": bytes(network)}, rehash=False)
    _one_line_refusal(bad, "does not match its SHA-256")


class Note:
    """A type of the user's that skops stores (by its attributes) but does not trust."""

    def __init__(self, text: str):
        self.text = text


def test_an_unknown_type_is_refused_and_trusted_on_request(digits, tmp_path):
    X, y, _, _ = digits
    pipe = make_pipeline("logreg").fit(X, y)
    pipe.steps[0][1].note_ = Note("kept")
    path = save(pipe, tmp_path / "m.mnist.zip")
    _one_line_refusal(path, "not trusted: test_saving.Note")
    assert load(path, trusted=[Note]).steps[0][1].note_.text == "kept"


def test_h5_members_and_newer_formats_and_old_keras_are_refused(saved, monkeypatch):
    _one_line_refusal(_rewrite(saved, {"networks/legacy.h5": b"\x89HDF"}), r"\(\.h5\)")
    newer = _rewrite(saved, {}, manifest_update={"format_version": saving.FORMAT_VERSION + 1})
    _one_line_refusal(newer, "newer than this package reads")
    monkeypatch.setattr(keras, "__version__", "3.13.2")
    with pytest.raises(UnsafeModelFileError, match=r"needs Keras >= 3\.14\.0"):
        load(saved)


def test_the_command_line_refuses_in_one_line(saved, tmp_path, capsys):
    bad = _rewrite(saved, {"networks/legacy.h5": b"\x89HDF"})
    code = cli.main(["predict", str(bad), "--dataset", "digits"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1 and "refused" in err


# -- the command line ---------------------------------------------------------------------


def test_predict_reproduces_the_reports_test_accuracy(tmp_path, capsys):
    out = tmp_path / "run"
    data = ["--dataset", "digits", "--max-test-samples", "200", "--random-state", "3"]
    code = cli.main(["compare", *data, "--max-samples", "300", "--cv", "2", "--epochs", "1",
                     "--n-jobs", "1", "--no-progress", "--models", "mlp", "logreg",
                     "--save-models", "--out", str(out)])  # fmt: skip
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    files = sorted((out / "models").glob("*.mnist.zip"))
    assert len(files) == 2
    capsys.readouterr()
    for file in files:
        name = "MLP" if file.name.startswith("MLP") else "LogReg"
        assert cli.main(["predict", str(file), *data]) == 0
        printed = capsys.readouterr().out
        expected = results["test"][name][0]["accuracy"]
        assert f"Accuracy on digits (test split, 200 images): {expected:.4f}" in printed
    csv = tmp_path / "pred.csv"
    assert cli.main(["predict", str(files[0]), *data, "--output", str(csv)]) == 0
    assert csv.read_text().splitlines()[0] == "index,prediction,label"


def test_images_from_a_npy_file(fitted, digits, tmp_path, capsys):
    _, _, Xt, yt = digits
    path = save(fitted["logreg"], tmp_path / "m.mnist.zip")
    np.save(tmp_path / "x.npy", Xt)
    np.save(tmp_path / "y.npy", yt)
    code = cli.main(["predict", str(path), "--images", str(tmp_path / "x.npy"),
                     "--labels", str(tmp_path / "y.npy")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and f"{fitted['logreg'].score(Xt, yt):.4f}" in out


# -- across backends ----------------------------------------------------------------------

#: Where each backend's CI venv writes its model files and their predictions, and reads
#: the other backends' (.ci/run and .ci/backends set it); unset: the test skips.
SHARED = os.environ.get("MNIST_ESTIMATORS_SAVED_MODELS")
#: Probabilities of one model computed on two backends differ by float32 rounding in a
#: different order of operations: at most 4.8e-7 apart over the seven models and the six
#: pairs of backends (AVX-512 machine, 2026-12-03); the bound leaves room for other CPUs.
ACROSS_BACKENDS = 1e-4


@pytest.mark.skipif(not SHARED, reason="MNIST_ESTIMATORS_SAVED_MODELS is unset (CI sets it)")
def test_models_saved_on_other_backends_load_and_agree(fitted, digits):
    _, _, Xt, _ = digits
    root = Path(SHARED)
    mine = root / BACKEND.name
    mine.mkdir(parents=True, exist_ok=True)
    for model, pipe in fitted.items():
        save(pipe, mine / f"{model}.mnist.zip")
        np.save(mine / f"{model}.proba.npy", pipe.predict_proba(Xt))
    others = [d for d in root.iterdir() if d.is_dir() and d.name != BACKEND.name]
    for other in others:
        for file in sorted(other.glob("*.mnist.zip")):
            expected = np.load(file.with_name(file.name.replace(".mnist.zip", ".proba.npy")))
            proba = load(file).predict_proba(Xt)
            assert np.max(np.abs(proba - expected)) <= ACROSS_BACKENDS, (other.name, file.name)
