"""Save and load fitted models without pickle: a file that loading cannot make run code.

:func:`save` writes one zip archive:

* ``estimator.skops``: the scikit-learn side (the pipeline, its transformers, a
  baseline) in skops' format, each network replaced by a :class:`SavedNetwork` (its
  class, constructor arguments and fitted facts as plain data);
* ``networks/<i>.keras``: each network in Keras' ``.keras`` format, with plain Keras
  layers only: the package's CPU kernels of the LSTM (``CPUUnrolledLSTM``,
  ``FusedLSTM``, the same layer and weights) are written as ``keras.layers.LSTM``, so
  no backend's kernel leaks into the file and any backend loads it. The optimizer's
  state is kept, so ``warm_start`` and ``partial_fit`` go on after a load;
* ``manifest.json``: the format and its version, the package, Keras, backend,
  scikit-learn and skops versions, the classes, the input layout, and the SHA-256 of
  every member.

:func:`load` checks before it builds anything, and refuses with one line
(:class:`UnsafeModelFileError`), nothing of the file executed: a member the manifest
does not list or whose hash differs, an ``.h5`` member (Keras ignores ``safe_mode``
there), a newer format version, a type the skops audit does not trust (the package's
own types and scikit-learn's, plus ``trusted=``), and in a network's configuration
anything but the Keras layers, initializers, optimizers and schedules on
:data:`TRUSTED_KERAS_CLASSES` (a ``Lambda`` layer, a function reference, a module
outside Keras and the package). Only then are the networks loaded, by Keras with
``safe_mode=True``. Keras below :data:`KERAS_MIN_FOR_LOADING` is refused: the
newest release that fixed a published advisory on loading.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import numpy as np
import sklearn
import skops
from packaging.version import Version
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from .._files import atomic_write_bytes
from .._keras.runtime import BACKEND, keras, keras_training
from .base import KerasImageClassifier
from .errors import UnsafeModelFileError
from .registry import MODELS, import_object
from .timing import FitTimed

__all__ = [
    "FORMAT_VERSION",
    "KERAS_MIN_FOR_LOADING",
    "MAX_MEMBER_BYTES",
    "TRUSTED_KERAS_CLASSES",
    "TRUSTED_TYPES",
    "SavedNetwork",
    "UnsafeModelFileError",
    "check_savable",
    "load",
    "model_file_bytes",
    "save",
]

#: The archive's format and its version: a file of a newer version is refused.
FORMAT = "mnist-estimators model"
FORMAT_VERSION = 1
#: The oldest Keras that loading accepts: 3.14.0 fixed the newest published advisory on
#: loading (GHSA-hqp4-2352-xf5r, path traversal while extracting an archive), after the
#: safe_mode bypasses fixed in 3.9 (CVE-2025-1550) and 3.11 (CVE-2025-8747, -9906).
KERAS_MIN_FOR_LOADING = "3.14.0"

MANIFEST = "manifest.json"
SKLEARN_MEMBER = "estimator.skops"
_NETWORK_MEMBER = re.compile(r"networks/\d+\.keras")

#: The package's own types that the skops audit trusts (besides scikit-learn's own).
TRUSTED_TYPES = (
    "mnist_estimators.estimators.saving.SavedNetwork",
    "mnist_estimators.estimators.pipelines.ImagePipeline",
    "mnist_estimators.estimators.preprocessing.PixelScaler",
    "mnist_estimators.estimators.preprocessing.ImageReshaper",
    "mnist_estimators.estimators.transforms.ImageShifter",
    "mnist_estimators.estimators.transforms.ImageRotator",
    "mnist_estimators.estimators.transforms.ImageTransposer",
    "mnist_estimators.estimators.transforms.PixelPermuter",
    "mnist_estimators.estimators.transforms.RowShuffler",
    "mnist_estimators.estimators.timing.FitTimed",
    "numpy.dtype",
    # scikit-learn's own, not on skops' default list: the HGB baseline's fitted trees
    # (arrays of nodes, no code)
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)

#: What a network's configuration may name: Keras' own classes that the package's
#: networks are built of, and the package's registered layers and schedule. Anything
#: else (``Lambda``, a ``function``, a class of another module) is refused.
TRUSTED_KERAS_CLASSES = frozenset(
    {
        # models and layers
        "Functional", "Sequential", "InputLayer", "Conv2D", "MaxPooling2D", "Flatten",
        "Dense", "Dropout", "LSTM", "LSTMCell", "GRU", "GRUCell", "Bidirectional",
        "Normalization", "ZeroPadding2D", "Reshape", "Permute", "LayerNormalization",
        "MultiHeadAttention", "EinsumDense", "Softmax", "Add", "GlobalAveragePooling1D",
        "GlobalAveragePooling2D", "Activation", "BatchNormalization",
        # weights, numbers and training
        "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "Orthogonal", "Zeros",
        "Ones", "RandomNormal", "RandomUniform", "TruncatedNormal", "Constant",
        "DTypePolicy", "FloatDTypePolicy", "Adam", "AdamW", "Nadam", "RMSprop", "SGD",
        "SparseCategoricalCrossentropy", "CategoricalCrossentropy",
        # the package's own, registered layers and schedule
        "Standardize", "PositionEmbedding", "CosineToConstant",
        # Keras' own encodings of data (tuples, arrays) in a configuration
        "__tuple__", "__numpy__", "__tensor__", "__keras_tensor__",
    }
)  # fmt: skip
_PACKAGE_KERAS = "mnist_estimators"
_CPU_KERNELS = {"CPUUnrolledLSTM", "FusedLSTM"}  # saved as keras.layers.LSTM
#: The modules and registered names of the package's own Keras objects a network may hold.
_OWN_MODULES = {"mnist_estimators._keras.layers", "mnist_estimators._keras.schedules"}
_OWN_REGISTERED = {
    "mnist_estimators>Standardize",
    "mnist_estimators>PositionEmbedding",
    "mnist_estimators>CosineToConstant",
}
_REGISTERED = re.compile(r"[\w.]+>[\w.]+")
#: The most a member may hold once unpacked (a zip bomb is refused before it is read).
MAX_MEMBER_BYTES = 2**30


class SavedNetwork:
    """A fitted network of the package, as plain data: what :func:`save` writes in its place.

    Attributes
    ----------
    estimator : str
        ``"module:Class"`` of the network's estimator class.
    params : dict
        Its constructor arguments.
    state : dict
        Its fitted attributes that are data (classes, image shape, batch size, history,
        ...), not the Keras network.
    member : str
        The archive member holding its ``.keras`` network.
    """

    def __init__(self, estimator: str, params: dict, state: dict, member: str):
        self.estimator, self.params, self.state, self.member = estimator, params, state, member


# -- saving -----------------------------------------------------------------------------

#: Fitted attributes rebuilt on load, not stored: the network itself, scikeras' encoders
#: (refitted on the classes), its callbacks.
_REBUILT = {"model_", "target_encoder_", "feature_encoder_", "_fit_callbacks",
            "_predict_callbacks", "history"}  # fmt: skip


def _plain(value):
    """``value`` if it is plain data skops stores without code (else None)."""
    if isinstance(value, (str, int, float, bool, type(None), np.ndarray, np.generic)):
        return value
    if isinstance(value, np.dtype):
        return value.str
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        return (
            None
            if any(i is None and v is not None for i, v in zip(items, value, strict=True))
            else type(value)(items)
        )
    if isinstance(value, dict):
        out = {k: _plain(v) for k, v in value.items()}
        return None if any(out[k] is None and value[k] is not None for k in value) else out
    return None


def _network_state(net: KerasImageClassifier) -> dict:
    state = {}
    for name, value in vars(net).items():
        if name in _REBUILT or not (name.endswith("_") or name == "_random_state"):
            continue
        plain = _plain(value)
        if plain is None and value is not None:
            raise TypeError(
                f"{type(net).__name__}.{name} holds a {type(value).__name__}, which the "
                "model file stores only as plain data."
            )
        state[name] = plain
    return state


def check_savable(estimator) -> None:
    """Raise the error :func:`save` would raise for ``estimator``'s networks, before any
    training (``compare --save-models`` checks its models with it).

    Raises
    ------
    ValueError
        A network has callbacks: code, which a model file does not hold.
    """
    if isinstance(estimator, KerasImageClassifier) and estimator.callbacks is not None:
        raise ValueError(
            f"{type(estimator).__name__} has callbacks={estimator.callbacks!r}: callbacks are "
            "code, and a model file holds none. Set callbacks=None (set_params) before saving."
        )
    if isinstance(estimator, Pipeline):
        for _, step in estimator.steps:
            check_savable(step)
    if isinstance(estimator, FitTimed):
        check_savable(estimator.estimator)


def _saved_network(net: KerasImageClassifier, member: str) -> SavedNetwork:
    check_savable(net)
    params = net.get_params(deep=False)
    if isinstance(params.get("random_state"), np.random.RandomState):
        params["random_state"] = None  # its fits are done; a generator is not plain data
    cls = type(net)
    return SavedNetwork(f"{cls.__module__}:{cls.__qualname__}", params, _network_state(net), member)


def _map_leaves(obj, fn):
    """``obj`` with ``fn`` applied to each estimator inside it: a Pipeline's steps, a fitted
    FitTimed's estimator. The containers are shallow copies; ``obj`` is not changed."""
    if isinstance(obj, Pipeline):
        new = copy.copy(obj)
        new.steps = [(name, _map_leaves(step, fn)) for name, step in obj.steps]
        return new
    if isinstance(obj, FitTimed) and hasattr(obj, "estimator_"):
        new = copy.copy(obj)
        new.estimator_ = _map_leaves(obj.estimator_, fn)
        return new
    return fn(obj)


def _without_networks(obj, networks: list):
    """``obj`` with each network replaced by a SavedNetwork (appended to ``networks``)."""

    def replace(leaf):
        if not isinstance(leaf, KerasImageClassifier):
            return leaf
        check_is_fitted(leaf, "model_")
        networks.append(leaf)
        return _saved_network(leaf, f"networks/{len(networks) - 1}.keras")

    return _map_leaves(obj, replace)


def _keras_node(node, visit):
    """Apply ``visit`` to every dict of a Keras configuration, depth first."""
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _keras_node(value, visit)
    elif isinstance(node, list):
        for value in node:
            _keras_node(value, visit)


def _as_plain_lstm(node: dict) -> bool:
    """Make a layer entry of the package's CPU kernels a ``keras.layers.LSTM`` one."""
    if node.get("class_name") in _CPU_KERNELS and str(node.get("module", "")).startswith(
        _PACKAGE_KERAS
    ):
        node.update(module="keras.layers", class_name="LSTM", registered_name=None)
        return True
    return False


def _copy_training_state(source, target, path=None) -> None:
    """``source``'s weights, compile settings and optimizer state into ``target``, a
    network of the same layers (its layer classes may compute them otherwise)."""
    target.set_weights(source.get_weights())
    if getattr(source, "optimizer", None) is None:
        return
    target.compile_from_config(source.get_compile_config())
    target.optimizer.build(target.trainable_variables)
    saved, wanted = list(source.optimizer.variables), list(target.optimizer.variables)
    if len(wanted) != len(saved) or any(
        tuple(a.shape) != tuple(b.shape) for a, b in zip(wanted, saved, strict=True)
    ):
        raise _refuse(path, "its optimizer state does not fit the network its estimator builds.")
    for dst, src in zip(wanted, saved, strict=True):
        dst.assign(src)


def _plain_twin(model):
    """``model`` with plain Keras layers only: the package's CPU kernels of the LSTM become
    ``keras.layers.LSTM`` (the same layer and weights); ``model`` itself when it has none."""
    config = model.get_config()
    found = []
    _keras_node(config, lambda node: found.append(_as_plain_lstm(node)))
    if not any(found):
        return model
    twin = keras.Model.from_config(config)
    _copy_training_state(model, twin)
    return twin


def _is_keras_module(module) -> bool:
    """Whether ``module`` is Keras' own (``keras`` or ``keras.*``)."""
    return module == "keras" or str(module).startswith("keras.")


def _scikeras_registered(node: dict) -> bool:
    """Whether ``node`` is a Keras class under the name scikeras registers it by.

    Pickling or deep-copying a Keras model through scikeras registers its class under
    ``">" + class name`` (:mod:`mnist_estimators.estimators._compat`), so that after any
    pickle in the process Keras writes ``">Functional"`` for its own ``Functional``.
    Keras finds its own classes by module and name without that registration.
    """
    cls = node.get("class_name")
    return (
        _is_keras_module(node.get("module"))
        and isinstance(cls, str)
        and node.get("registered_name") == ">" + cls
    )


def _portable(node: dict) -> None:
    """Name a backend's own optimizer class (PyTorch's ``keras.src.backend.torch.optimizers
    .torch_adam``) by its public module, which every backend imports, and a Keras class
    by its own name rather than the one scikeras registered it under."""
    if str(node.get("module", "")).startswith("keras.src.backend.") and ".optimizers" in str(
        node.get("module")
    ):
        node.update(module="keras.optimizers", registered_name=None)
    elif _scikeras_registered(node):
        node.update(registered_name=node["class_name"])


def _keras_bytes(model) -> bytes:
    """``model`` as ``.keras`` bytes, with plain Keras layers only (:func:`_plain_twin`) and
    nothing of one backend in its configuration, so that every backend loads it."""
    with keras_training(), tempfile.TemporaryDirectory(prefix="mnist-estimators-save-") as tmp:
        path = Path(tmp) / "network.keras"
        _plain_twin(model).save(path)
        out = io.BytesIO()
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "config.json":
                    config = json.loads(data)
                    _keras_node(config, _portable)
                    data = json.dumps(config).encode()
                dst.writestr(info.filename, data)
        return out.getvalue()


def _skops_io():
    """``skops.io``, imported when a model file is written or read, not with the package.

    Importing it lists every scikit-learn estimator (skops' trusted types call
    ``all_estimators``), which imports every scikit-learn module, and through
    ``sklearn.externals.array_api_compat`` PyTorch and JAX where they are installed: on
    the AVX2 machine (2026-12-04) about 0.5 GB and 5 s in each process of a comparison,
    which saves nothing unless asked to.
    """
    return importlib.import_module("skops.io")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_file_bytes(estimator) -> bytes:
    """The model file of a fitted ``estimator``, as bytes (what :func:`save` writes)."""
    networks: list = []
    stripped = _without_networks(estimator, networks)
    members = {SKLEARN_MEMBER: _skops_io().dumps(stripped)}
    for i, net in enumerate(networks):
        members[f"networks/{i}.keras"] = _keras_bytes(net.model_)
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": {
            "mnist_estimators": __version__,
            "keras": keras.__version__,
            "scikit-learn": sklearn.__version__,
            "skops": skops.__version__,
            "numpy": np.__version__,
        },
        "backend": BACKEND.name,
        "estimator": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
        "classes": np.asarray(getattr(final, "classes_", [])).tolist(),
        "input_layout": getattr(final, "input_layout", "flat"),
        "image_shape": list(getattr(final, "image_shape_", ()) or ()),
        "networks": [f"{type(n).__module__}.{type(n).__qualname__}" for n in networks],
        "members": {name: _sha256(data) for name, data in members.items()},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def save(estimator, path) -> Path:
    """Write a fitted classifier, transformer or ready-made pipeline to one model file.

    Parameters
    ----------
    estimator : estimator
        Fitted: a network of the package, a Pipeline (networks as any of its steps), a
        scikit-learn estimator or pipeline (a baseline), or one of the package's
        transformers. Nothing of it is changed.
    path : str or Path
        The file to write (replaced atomically if it exists); ``.mnist.zip`` is a good
        suffix.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        A network of it is not fitted.
    ValueError
        A network has callbacks (code, which a model file does not hold).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from mnist_estimators import load_digits_images, make_mlp_pipeline, save, load
    >>> X, y = load_digits_images(return_X_y=True)
    >>> pipe = make_mlp_pipeline(hidden_units=(16,), epochs=1, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     again = load(save(pipe, f"{tmp}/mlp.mnist.zip"))
    >>> bool(np.array_equal(again.predict_proba(X), pipe.predict_proba(X)))
    True
    """
    data = model_file_bytes(estimator)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return path


# -- loading ----------------------------------------------------------------------------


def _refuse(path, reason: str) -> UnsafeModelFileError:
    where = f"{path}: " if path is not None else ""
    return UnsafeModelFileError(f"{where}refused, nothing loaded: {reason}")


def _read_members(path) -> tuple[dict, dict]:
    """The manifest and the members, every check on the archive itself passed."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(path, f"not a model file of mnist-estimators ({exc}).") from None
    with zf:
        names = zf.namelist()
        for name in names:
            pure = PurePosixPath(name)
            if pure.is_absolute() or ".." in pure.parts or "\\" in name:
                raise _refuse(path, f"member {name!r} points outside the archive.")
            if pure.suffix.lower() in {".h5", ".hdf5", ".pkl", ".pickle", ".joblib"}:
                raise _refuse(
                    path, f"member {name!r} is in a format that can hold code ({pure.suffix})."
                )
        if MANIFEST not in names:
            raise _refuse(path, "it has no manifest.json: not a model file of mnist-estimators.")
        try:
            manifest = json.loads(zf.read(MANIFEST))
        except ValueError:
            raise _refuse(path, "its manifest.json is not JSON.") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise _refuse(path, "its manifest is not that of a mnist-estimators model file.")
        version = manifest.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise _refuse(
                path,
                f"it is of format version {version!r}, newer than this package reads "
                f"({FORMAT_VERSION}): upgrade mnist-estimators.",
            )
        for info in zf.infolist():
            if info.file_size > MAX_MEMBER_BYTES:
                raise _refuse(path, f"member {info.filename!r} unpacks to more than 1 GiB.")
        listed = manifest.get("members") or {}
        if not isinstance(listed, dict):
            raise _refuse(path, "its manifest lists no members.")
        present = set(names) - {MANIFEST}
        if present != set(listed):
            extra, missing = sorted(present - set(listed)), sorted(set(listed) - present)
            raise _refuse(
                path, f"its members differ from its manifest (extra {extra}, missing {missing})."
            )
        members = {}
        for name, digest in listed.items():
            data = zf.read(name)
            if _sha256(data) != digest:
                raise _refuse(path, f"member {name!r} does not match its SHA-256 in the manifest.")
            members[name] = data
    return manifest, members


def _type_name(item) -> str:
    return item if isinstance(item, str) else f"{item.__module__}.{item.__qualname__}"


def _strings(node):
    """Every string in a JSON tree, keys included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _audit_keras_config(path, member: str, data: bytes, trusted_classes: frozenset) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            config = json.loads(zf.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise _refuse(path, f"member {member!r} is not a .keras network.") from None
    for name in names:
        if name not in {"config.json", "metadata.json", "model.weights.h5"}:
            raise _refuse(path, f"network {member!r} holds an unexpected file {name!r}.")

    for text in _strings(config):  # "Package>name": Keras looks it up in its registry
        if _REGISTERED.fullmatch(text) and text not in _OWN_REGISTERED:
            raise _refuse(path, f"network {member!r} names a registered object {text!r}.")

    def visit(node: dict) -> None:
        cls, module = node.get("class_name"), node.get("module")
        if cls is None:
            return
        if cls in {"Lambda", "function", "__lambda__", "TFOpLambda"}:
            raise _refuse(path, f"network {member!r} holds a {cls} (code), which is never loaded.")
        if cls not in trusted_classes:
            raise _refuse(
                path,
                f"network {member!r} holds {cls!r}, not on the trusted list: pass "
                f"trusted=[...] with its name if you trust it.",
            )
        registered = node.get("registered_name")
        if (
            registered not in (None, cls)
            and registered not in _OWN_REGISTERED
            and not _scikeras_registered(node)  # files saved before _portable named it
        ):
            raise _refuse(path, f"network {member!r} names {registered!r} for {cls!r}.")
        if module is not None and not (_is_keras_module(module) or module in _OWN_MODULES):
            raise _refuse(path, f"network {member!r} names module {module!r} for {cls!r}.")

    _keras_node(config, visit)


def _network_classes(trusted_names: set) -> set:
    """``"module:Class"`` of the networks a file may name: the registry's, and those the
    caller trusts (given as ``module.Class``)."""
    known = {spec.estimator for spec in MODELS.values() if spec.kind == "network"}
    return known | {":".join(name.rsplit(".", 1)) for name in trusted_names if "." in name}


def _network_class(path, saved, allowed: set):
    """The class a SavedNetwork names, imported only when it is on the list."""
    name = getattr(saved, "estimator", None)
    if not isinstance(name, str) or name not in allowed:
        raise _refuse(
            path,
            f"it names the network class {name!r}, not a network of the package: pass "
            "trusted=[YourNetwork] if it is yours.",
        )
    cls = import_object(name)
    if not (isinstance(cls, type) and issubclass(cls, KerasImageClassifier)):
        raise _refuse(path, f"{name} is not a network class.")
    return cls


def _checked_arguments(path, cls, saved) -> tuple[dict, dict]:
    """The SavedNetwork's constructor arguments and fitted state, if they are plain data
    of that class: no callbacks, no attribute that is not a fitted one."""
    params, state = getattr(saved, "params", None), getattr(saved, "state", None)
    if not isinstance(params, dict) or not isinstance(state, dict):
        raise _refuse(path, "a network's arguments or state are not a dict.")
    unknown = sorted(set(params) - set(cls._get_param_names()))
    if unknown:
        raise _refuse(path, f"{cls.__name__} takes no argument {', '.join(unknown)}.")
    if params.get("callbacks") is not None:
        raise _refuse(path, "a network holds callbacks (code).")
    for name, value in {**params, **state}.items():
        if _plain(value) is None and value is not None:
            raise _refuse(path, f"{cls.__name__}'s {name!r} is not plain data.")
    for name in state:
        fitted = name.endswith("_") or name == "_random_state"
        if not fitted or name.startswith("__") or hasattr(cls, name):
            raise _refuse(path, f"{cls.__name__}'s state names {name!r}, not a fitted attribute.")
    if "classes_" not in state or "n_features_in_" not in state:
        raise _refuse(path, f"{cls.__name__}'s state lacks its classes or feature count.")
    return params, state


def _load_network(path, saved: SavedNetwork, data: bytes, allowed: set):
    cls = _network_class(path, saved, allowed)
    params, state = _checked_arguments(path, cls, saved)
    with tempfile.TemporaryDirectory(prefix="mnist-estimators-load-") as tmp:
        file = Path(tmp) / "network.keras"
        file.write_bytes(data)
        model = keras.saving.load_model(file, safe_mode=True)
    net = cls(**params)
    for name, value in state.items():
        setattr(net, name, value)
    for name in ("X_dtype_", "y_dtype_"):
        if isinstance(state.get(name), str):
            setattr(net, name, np.dtype(state[name]))
    classes = np.asarray(state["classes_"], dtype=getattr(net, "y_dtype_", None))
    net.target_encoder_ = net.target_encoder.fit(classes)
    vars(net).update(getattr(net.target_encoder_, "get_metadata", dict)())
    net.feature_encoder_ = net.feature_encoder.fit(np.zeros((1, int(state["n_features_in_"]))))
    vars(net).update(getattr(net.feature_encoder, "get_metadata", dict)())
    # The network is built as the estimator builds it on this machine (the LSTM's
    # fastest path here: the same computation as before it was saved, on the same
    # machine) and takes the file's weights and optimizer state.
    net._initialize_callbacks()
    with keras_training():
        built = net._build_keras_model()
        _copy_training_state(model, built, path)
    net.model_ = built
    return net


def _saved_networks(obj) -> list[SavedNetwork]:
    found: list = []
    _map_leaves(obj, lambda leaf: found.append(leaf) if isinstance(leaf, SavedNetwork) else None)
    return found


def load(path, *, trusted: Iterable = ()) -> BaseEstimator:
    """Load a model file written by :func:`save`, after checking all of it.

    Parameters
    ----------
    path : str or Path
    trusted : iterable of type or str, default=()
        Types the file may hold besides the package's and scikit-learn's own (classes
        of yours, e.g. from a model factory), by the type or its ``"module.Class"``
        name; for a network, Keras class names for :data:`TRUSTED_KERAS_CLASSES`.

    Returns
    -------
    estimator
        The fitted estimator: ``predict``, ``predict_proba``, ``score``,
        ``get_params``, ``clone`` as before it was saved.

    Raises
    ------
    UnsafeModelFileError
        Anything the checks refuse (see the module's docstring); one line, nothing of
        the file executed.
    """
    if Version(keras.__version__) < Version(KERAS_MIN_FOR_LOADING):
        raise UnsafeModelFileError(
            f"Loading model files needs Keras >= {KERAS_MIN_FOR_LOADING} (it fixes the "
            f"newest published advisory on loading); this is Keras {keras.__version__}: "
            "pip install -U keras."
        )
    trusted_names = {_type_name(t) for t in trusted}
    manifest, members = _read_members(path)
    if SKLEARN_MEMBER not in members:
        raise _refuse(path, f"it has no {SKLEARN_MEMBER}.")
    data = members[SKLEARN_MEMBER]
    sio = _skops_io()  # outside the try: a failed import is not a bad file
    try:
        untrusted = set(sio.get_untrusted_types(data=data))
    except Exception as exc:  # a member that is not skops' format: never unpickled
        raise _refuse(
            path, f"{SKLEARN_MEMBER} is not in skops' format ({type(exc).__name__})."
        ) from None
    unknown = sorted(untrusted - set(TRUSTED_TYPES) - trusted_names)
    if unknown:
        raise _refuse(
            path,
            f"it holds types that are not trusted: {', '.join(unknown)}. If you trust them, "
            "pass trusted=[...] with their names.",
        )
    keras_classes = TRUSTED_KERAS_CLASSES | {t for t in trusted_names if "." not in t}
    network_members = sorted(n for n in members if n != SKLEARN_MEMBER)
    if any(not _NETWORK_MEMBER.fullmatch(n) for n in network_members):
        raise _refuse(path, f"its members are not all networks: {network_members}.")
    for name in network_members:
        _audit_keras_config(path, name, members[name], keras_classes)
    estimator = sio.loads(data, trusted=sorted(untrusted))
    saved_networks = _saved_networks(estimator)
    referred = [getattr(saved, "member", None) for saved in saved_networks]
    if sorted(referred) != network_members or len(referred) != len(manifest.get("networks", [])):
        raise _refuse(path, "its networks differ from its members and its manifest's.")
    allowed = _network_classes(trusted_names)
    loaded = {
        saved.member: _load_network(path, saved, members[saved.member], allowed)
        for saved in saved_networks
    }
    return _map_leaves(
        estimator, lambda leaf: loaded[leaf.member] if isinstance(leaf, SavedNetwork) else leaf
    )
