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

__all__ = ["machine", "now_iso", "versions"]

_PACKAGES = ("tensorflow", "keras", "scikit-learn", "scikeras", "numpy", "mnist-estimators")


def versions() -> dict:
    """Python and the versions of the libraries that do the work."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "-"
    except OSError:
        pass
    return "-"


def machine() -> str:
    """One line: CPU model, SIMD level, cores, TensorFlow threads, GPU if any."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parts = [f"{_cpu_model()} ({_cpu_flags()})", f"{cores} cores usable"]
    if "tensorflow" in sys.modules:  # never import TensorFlow just to describe the machine
        tf = sys.modules["tensorflow"]
        intra = tf.config.threading.get_intra_op_parallelism_threads() or "auto"
        inter = tf.config.threading.get_inter_op_parallelism_threads() or "auto"
        parts.append(f"TensorFlow threads intra-op {intra}, inter-op {inter}")
        gpus = tf.config.list_physical_devices("GPU")
        parts.append(f"GPU: {', '.join(g.name for g in gpus)}" if gpus else "no GPU")
    parts.append(f"{platform.system()} {platform.machine()}")
    return "; ".join(parts)


def now_iso() -> str:
    """The local date and time, to the second, with its UTC offset."""
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")
