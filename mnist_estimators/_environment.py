"""What a measurement ran on: library versions, CPU, threads, GPU, date.

Reports and benchmarks print these beside every time they give, because a wall
time from one machine says nothing about another.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
from importlib import metadata

__all__ = ["cpu_flags", "cpu_model", "machine", "now_iso", "tensorflow_onednn", "versions"]

_PACKAGES = ("keras", "scikit-learn", "scikeras", "numpy", "mnist-estimators")
#: The backends' libraries: listed when installed.
_BACKEND_PACKAGES = ("tensorflow", "jax", "jaxlib", "torch")


def versions() -> dict:
    """Python and the versions of the libraries that do the work."""
    out = {"python": platform.python_version()}
    for name in _BACKEND_PACKAGES + _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name in _PACKAGES:
                out[name] = "not installed"
    return out


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what the platform says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> str:
    """The widest vector extension: ``"AVX-512"``, ``"AVX2"`` or ``"-"``."""
    flags = _flags()
    return "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "-"


#: CPU features with which TensorFlow turns oneDNN on by default
#: (``tensorflow/core/util/port.cc``); without them it is off unless asked for.
ONEDNN_DEFAULT_FEATURES = ("avx512_vnni", "avx512_bf16", "avx_vnni", "amx")


def _flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def tensorflow_onednn() -> str:
    """Whether TensorFlow runs oneDNN's CPU kernels here, and why.

    ``TF_ENABLE_ONEDNN_OPTS`` decides when it is set; else TensorFlow turns
    oneDNN on only on CPUs with AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX. So this
    project's AVX2 and AVX-512 machines run different kernels: every time a
    benchmark prints goes with this line.

    Examples
    --------
    >>> tensorflow_onednn().startswith("oneDNN ")
    True
    """
    env = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    if env is not None:
        state = "off" if env.strip().lower() in ("0", "false") else "on"
        return f"oneDNN {state} (TF_ENABLE_ONEDNN_OPTS={env})"
    flags = _flags()
    found = sorted(
        f for f in flags if any(f.startswith(feature) for feature in ONEDNN_DEFAULT_FEATURES)
    )
    if found:
        return f"oneDNN on by default (TF_ENABLE_ONEDNN_OPTS unset; CPU has {', '.join(found)})"
    return (
        "oneDNN off by default (TF_ENABLE_ONEDNN_OPTS unset; CPU has none of AVX512_VNNI, "
        "AVX512_BF16, AVX_VNNI, AMX)"
    )


def machine() -> str:
    """One line: CPU model, SIMD level, cores, TensorFlow's threads when it is loaded.

    The device training runs on (a GPU's name) is the Keras runtime's to say
    (``mnist_estimators._keras.runtime.device_description``).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parts = [f"{cpu_model()} ({cpu_flags()})", f"{cores} cores usable"]
    if "tensorflow" in sys.modules:  # never import TensorFlow just to describe the machine
        tf = sys.modules["tensorflow"]
        intra = tf.config.threading.get_intra_op_parallelism_threads() or "auto"
        inter = tf.config.threading.get_inter_op_parallelism_threads() or "auto"
        parts.append(f"TensorFlow threads intra-op {intra}, inter-op {inter}")
        parts.append(f"TensorFlow {tensorflow_onednn()}")
    parts.append(f"{platform.system()} {platform.machine()}")
    return "; ".join(parts)


def now_iso() -> str:
    """The local date and time, to the second, with its UTC offset."""
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")
