"""No orphans: when the process running a comparison dies (SIGKILL included), its worker
processes stop within seconds, and the same command resumes without losing a record.

Before, two loky workers of a killed ``explain`` ran on for 6-12 minutes at 30-50 % CPU
and 1.1 GB each, beside the resumed run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from mnist_estimators.evaluation.parallel import usable_cores


def _records(folder) -> dict[str, bytes]:
    """The per-task records (not the run's config and the results written at its end)."""
    skip = {"config.json", "results.json", "compare.json"}
    return {p.name: p.read_bytes() for p in folder.rglob("*.json") if p.name not in skip}


def _busy(process: psutil.Process) -> bool:
    try:
        return process.cpu_percent(0.2) > 20
    except psutil.Error:  # it ended meanwhile
        return False


@pytest.mark.skipif(os.name != "posix", reason="the parent watch runs on POSIX systems")
def test_a_killed_comparison_leaves_no_worker_and_resumes(mnist_dir, tmp_path):
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "mnist_estimators.cli", "compare", "--dataset", "mnist",
        "--data-dir", str(mnist_dir), "--max-samples", "1500", "--max-test-samples", "300",
        "--epochs", "2", "--cv", "3", "--n-jobs", "3", "--no-progress", "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 300
    workers: list[psutil.Process] = []
    # Kill once a record is on disk and two workers are training (a fold in flight;
    # the command line's own process trains a third).
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        workers = [p for p in parent.children(recursive=True) if _busy(p)]
        if len(_records(out)) >= 1 and len(workers) >= 2:
            break
    else:
        pytest.fail("the comparison never had a record and two busy workers")
    everyone = parent.children(recursive=True)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = time.monotonic()
    before = _records(out)
    gone, alive = psutil.wait_procs(everyone, timeout=10)
    assert alive == [], (
        f"still running {time.monotonic() - killed_at:.1f} s after the kill: {alive}"
    )
    assert {w.pid for w in workers} <= {p.pid for p in gone}
    assert 1 <= len(before) < 8, "killed too late to test a resume"
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    after = _records(out)
    assert len(after) == 8  # 2 networks x (3 folds + the refit)
    for name, content in before.items():
        assert after[name] == content, f"{name} was trained again"


def test_the_parent_watch_ends_an_orphan_within_seconds(tmp_path):
    """The watch itself, on a bare process: a child that watches its parent (and
    refuses to watch another process, as a Dask cluster's own worker whose parent is
    its nanny), whose parent is then killed, is gone within seconds."""
    script = (
        "import os, sys, time\n"
        "from mnist_estimators._watch import watch_parent\n"
        "assert not watch_parent(os.getppid() + 1)  # not its parent: not watched\n"
        "assert watch_parent(os.getppid())\n"
        f"open({str(tmp_path / 'watching')!r}, 'w').close()\n"
        "time.sleep(120)\n"
    )
    middle = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys, time\n"
         f"child = subprocess.Popen([sys.executable, '-c', {script!r}])\n"
         f"print(child.pid, flush=True)\ntime.sleep(120)\n"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    child = psutil.Process(int(middle.stdout.readline()))
    deadline = time.monotonic() + 120
    while not (tmp_path / "watching").exists():  # the child imports and starts its watch
        assert time.monotonic() < deadline and child.is_running()
        time.sleep(0.1)
    middle.kill()
    middle.wait()
    child.wait(timeout=5)  # psutil.TimeoutExpired if it outlives its parent


# oneDNN as the console script sets it (the path table's choice), before TensorFlow starts:
# the same kernels as the run it is compared with (on the AVX2 machine TensorFlow's own
# default is off, the table's choice on, and the LSTM's log loss differed by 4e-9).
CHILD_SERIAL_ONE_THREAD = """
import json, sys
from mnist_estimators import cli
cli._choose_onednn()
from mnist_estimators.evaluation.parallel import configure_tensorflow_threads
assert configure_tensorflow_threads(1)
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.skipif(usable_cores() != 2, reason="--n-jobs auto gives 2 processes on 2 cores")
def test_the_command_line_trains_beside_one_worker_with_the_same_numbers(mnist_dir, tmp_path):
    """On 2 cores, `mnist-estimators compare --n-jobs auto` (the README's main job: the
    console script, its own process) trains in its own process beside one worker
    process, rather than beside two: one TensorFlow runtime and one copy of the data
    fewer. Every record equals a run of one process with one TensorFlow thread, bit for
    bit. (Sizing the run once started TensorFlow's runtime, so the own process could no
    longer take a worker's threads and sat idle beside two workers: the main job of
    2026-12-03 on the AVX-512 machine.)"""
    data = ["--dataset", "mnist", "--data-dir", str(mnist_dir), "--max-samples", "2000",
            "--max-test-samples", "300", "--epochs", "2", "--cv", "2", "--no-progress"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    beside = tmp_path / "beside"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mnist_estimators.cli", "compare", *data, "--n-jobs", "auto",
         "--out", str(beside)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    parent = psutil.Process(proc.pid)
    # Each child's command line as last seen: loky starts its resource tracker and its
    # workers by fork then exec, and a child caught between the two still shows this
    # process's command line (CI on 2026-12-04 counted the tracker as a second worker).
    children = {}
    while proc.poll() is None:
        try:
            alive = parent.children()
        except psutil.Error:  # it ended meanwhile
            alive = []
        for child in alive:
            try:
                children[child.pid] = " ".join(child.cmdline())
            except psutil.Error:
                pass
        time.sleep(0.1)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "2 process(es)" in out
    # A child seen only with an empty command line was never a worker: it had exited
    # (a zombie shows none) before a read found it running; a worker, alive all along,
    # is last seen with its own (a run of 2026-12-04 caught one such short-lived child).
    workers = {pid: cmd for pid, cmd in children.items() if cmd and "resource_tracker" not in cmd}
    assert len(workers) == 1, children  # this process and one worker
    assert "Warning" not in err, err  # scikit-learn's delayed outside its Parallel warned per task
    serial = tmp_path / "serial"
    done = subprocess.run(
        [sys.executable, "-c", CHILD_SERIAL_ONE_THREAD, "compare", *data, "--n-jobs", "1",
         "--out", str(serial)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name, content in _records(serial).items():
        got, want = json.loads(_records(beside)[name]), json.loads(content)
        for key in ("accuracy", "log_loss", "predictions"):
            if key in want:
                assert got[key] == want[key], (name, key)
        for key, values in want.get("history", {}).items():
            if key != "epoch_time":  # the one thing that differs: a clock
                assert got["history"][key] == values, (name, key)


def _pid_of_worker(task: int, offset: int) -> tuple[int, int]:
    time.sleep(0.2)  # this process cannot take every task before the worker's first one
    return task + offset, os.getpid()


def _fails_on_one_side(task: int, parent: int, failing: str, pid_file: str) -> int:
    """In a worker: write its PID, then fail or outlast the test; here: the other."""
    if os.getpid() != parent:
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
        if failing == "worker":
            raise ValueError("a task failed in the worker")
        time.sleep(120)
        return task
    if failing == "worker":
        time.sleep(0.2)
        return task
    deadline = time.monotonic() + 60  # until the worker is busy with a task of its own
    while not os.path.exists(pid_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    raise ValueError("a task failed in this process")


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("failing", ["worker", "here"])
def test_a_failed_run_beside_workers_stops_them_at_once(failing, tmp_path):
    """A task that fails, in a worker or in this process, ends the run with its error,
    and the workers are killed with it, not left training (or idle) after it."""
    from mnist_estimators.evaluation.parallel import _beside_workers

    pid_file = str(tmp_path / "worker.pid")
    with pytest.raises(
        ValueError,
        match=f"a task failed in {'the worker' if failing == 'worker' else 'this process'}",
    ):
        list(
            _beside_workers(
                _fails_on_one_side, list(range(500)), (os.getpid(), failing, pid_file), 1
            )
        )
    pid = int(open(pid_file).read())
    deadline = time.monotonic() + 20
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid), f"worker {pid} still runs 20 s after the run failed"


def test_workers_beside_this_process_stop_when_no_task_is_left():
    """The command line's own process trains beside loky's workers; once every task is
    done the workers are stopped, not left idle (each holding a TensorFlow runtime's
    memory) while this process writes the report. A second run starts new ones."""
    from mnist_estimators.evaluation.parallel import _beside_workers

    me = psutil.Process()
    for _ in range(2):
        results = sorted(_beside_workers(_pid_of_worker, list(range(6)), (100,), 1))
        assert [r[0] for r in results] == list(range(100, 106))
        pids = {r[1] for r in results} - {os.getpid()}
        assert len(pids) == 1  # the worker's
        deadline = time.monotonic() + 10
        while any(p.pid in pids for p in me.children()) and time.monotonic() < deadline:
            time.sleep(0.05)  # (shutdown returned; the process may not be reaped yet)
        alive = [p for p in me.children() if p.pid in pids and p.status() != psutil.STATUS_ZOMBIE]
        assert not alive, alive
