"""Memory of a process tree while it runs: PSS and RSS, summed and per process.

PSS (proportional set size) counts a page shared by k processes as 1/k in each, so
its sum over a tree counts shared pages once: the libraries every worker maps
(TensorFlow's are hundreds of MB) and the training data memory-mapped by joblib. RSS
counts them in every process; both are reported.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import asdict, dataclass, field

import psutil

__all__ = ["TreePeak", "role", "smaps_rollup", "watch_tree"]


def role(process: psutil.Process, root: psutil.Process) -> str:
    """``"parent"``, ``"worker"`` (loky's, Dask's) or ``"helper"`` (resource trackers)."""
    if process.pid == root.pid:
        return "parent"
    try:
        cmd = " ".join(process.cmdline())
    except psutil.Error:
        return "helper"
    if "resource_tracker" in cmd or "semaphore_tracker" in cmd:
        return "helper"
    return "worker"


@dataclass
class TreePeak:
    """The peaks of one watched run.

    Attributes
    ----------
    pss_gb, rss_gb : float
        Peak of the sum over the tree (sampled together, at the same moment).
    by_role : dict
        Role -> peak PSS and RSS (GB) of the largest process of that role.
    samples : int
        How many times the tree was read.
    sampler_cpu_s : float
        CPU seconds this process spent reading the tree: taken from the cores the run
        trains on (about 17 ms per TensorFlow process per read, measured).
    at_peak : list of dict
        The processes at the moment of the PSS peak: role, pid, PSS, RSS, USS (GB).
    peak_at_s, seconds : float
        When the PSS peak was read, and how long the run lasted, in seconds from its start.
    """

    pss_gb: float = 0.0
    rss_gb: float = 0.0
    by_role: dict = field(default_factory=dict)
    samples: int = 0
    sampler_cpu_s: float = 0.0
    at_peak: list = field(default_factory=list)
    peak_at_s: float = 0.0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def watch_tree(proc: subprocess.Popen, interval: float = 2.0) -> TreePeak:
    """Sample the tree of ``proc`` every ``interval`` seconds until it exits (waits for it).

    A process's PSS needs its page tables walked, about 17 ms of CPU for a TensorFlow
    process (AVX-512 machine, 2026-12-04) and 23 ms on the AVX2 machine: at 0.5 s the
    reads took 93 CPU s from the 997 s main job they measured (AVX2 machine,
    2026-12-04), so the default is 2 s. A peak shorter than that can be missed: the main
    job's peaks are read while both processes train, a plateau of minutes.
    ``sampler_cpu_s`` says what the reads took.
    """
    root = psutil.Process(proc.pid)
    peak = TreePeak()
    cpu_start, start = time.process_time(), time.monotonic()
    while proc.poll() is None:
        rows = []
        for p in [root, *root.children(recursive=True)]:
            try:
                m = p.memory_full_info()
            except psutil.Error:  # exited between listing and reading
                continue
            rows.append(
                {"role": role(p, root), "pid": p.pid, "pss_gb": m.pss / 1e9,
                 "rss_gb": m.rss / 1e9, "uss_gb": m.uss / 1e9}
            )  # fmt: skip
        peak.samples += 1
        pss, rss = sum(r["pss_gb"] for r in rows), sum(r["rss_gb"] for r in rows)
        if pss > peak.pss_gb:
            peak.pss_gb, peak.at_peak = pss, rows
            peak.peak_at_s = time.monotonic() - start
        peak.rss_gb = max(peak.rss_gb, rss)
        for r in rows:
            best = peak.by_role.setdefault(r["role"], {"pss_gb": 0.0, "rss_gb": 0.0})
            best["pss_gb"] = max(best["pss_gb"], r["pss_gb"])
            best["rss_gb"] = max(best["rss_gb"], r["rss_gb"])
        peak.sampler_cpu_s = time.process_time() - cpu_start
        time.sleep(interval)
    peak.seconds = time.monotonic() - start
    return peak


def smaps_rollup(pid: int | None = None) -> dict[str, float]:
    """A process's memory by kind (Linux ``/proc/PID/smaps_rollup``), in MB: its resident
    anonymous memory (heap, TensorFlow's buffers, NumPy arrays) against file-backed
    pages (libraries, memory-mapped data)."""
    path = f"/proc/{'self' if pid is None else pid}/smaps_rollup"
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return out
